/**
 * One dev process (the dev target, after `up` brought the service up): live code until Ctrl-C.
 *
 *   register as the service's watcher (live record) → take the clone's watch lock, or wait on it
 *   (another dev process of the same clone watches for us; when it ends, we take over) → while
 *   holding it: each burst of changes in the clone → the pure plan (live/plan.ts) for every service
 *   of the clone that a live dev process watches → one sync (live/sync.ts) or one rebuild (the
 *   same startService as `up`) per service, one line each → on SIGINT/SIGTERM: out of the record,
 *   lock released, containers left running (still marked live). A second SIGINT/SIGTERM does not
 *   wait for a sync or rebuild under way (a Go rebuild takes minutes): the watch is handed over at
 *   once (its changes owed to the next one), the containers left as they are.
 *
 * A failed sync or rebuild, a container gone, an engine down: said loudly with the fix, and the
 * watch goes on; the changes it did not carry out go with the next sync (live/watch.ts: owed).
 * It lives in tasks/ because a rebuild is `up`'s startService.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { ServiceModel } from '../config/model';
import { serviceRunContext, type ServiceRunContext } from '../config/run-context';
import { DockerError, isLocalDevError, UsageError } from '../core/errors';
import { acquireLock, readLockHolder, releaseLock, describeHolder, type HeldLock } from '../core/lock';
import { composeProjectName } from '../core/naming';
import { findServiceContainers } from '../docker/containers';
import { injectedFiles } from '../docker/injected';
import { planLiveChanges, type FileChange, type LiveAction } from '../live/plan';
import { plural } from '../live/state';
import {
  cloneHandover,
  cloneWatchLockPath,
  rebuildSummary,
  recordRebuilt,
  recordSync,
  registerWatcher,
  syncedCount,
  syncSummary,
  unregisterWatcher,
  watchedServices,
  type RunningContainer,
} from '../live/session';
import { restartContainer, syncIntoContainer } from '../live/sync';
import { snapshotAtRegistration, watchClone } from '../live/watch';
import { startService } from './start';

export interface DevOutput {
  log: (line: string) => void;
  /** Errors, said loudly (stderr): the watch goes on. */
  warn: (line: string) => void;
}

/** How often a dev process waiting on another's watch lock looks whether that one has ended. */
const TAKE_OVER_POLL_MS = 1000;

class LockBusy extends Error {}

/** How many paths a "not in the container" line names before "…". */
const NAMED_OWED_PATHS = 5;

/** SIGINT/SIGTERM: the first one stops (a sync or rebuild under way is finished first), the second aborts (it is not). */
export interface DevSignals {
  stopped: Promise<void>;
  aborted: Promise<void>;
}

/** Runs until `signals.stopped` resolves; returns once the record and the lock are cleaned up. */
export async function runDevSession(run: ServiceRunContext, signals: DevSignals, out: DevOutput): Promise<void> {
  const { stopped } = signals;
  const { service } = run;
  if (!service.live) {
    out.log(
      `${service.name}: no live settings (no \`live:\` for it in config.yaml), so nothing is synced: an edit reaches the container with \`nx run ${service.name}:up\`. Waiting until Ctrl-C.`,
    );
    await stopped;
    return;
  }
  const container = await runningContainer(run, service.name);
  if (!container) {
    throw new UsageError(`${service.name} has no running container to sync into`, { fix: `\`nx run ${service.name}:up\` (dev runs it first), then dev again` });
  }
  await registerWatcher(run.paths, service.name, container);
  let isStopped = false;
  void stopped.then(() => {
    isStopped = true;
  });
  let lock: HeldLock | undefined;
  try {
    // The edits from now until a watch of the clone subscribes are found from this snapshot.
    const others = [...watchedServices(run.paths, run.repo.services).entries()].filter(([name, verdict]) => name !== service.name && verdict !== 'not watched');
    await snapshotAtRegistration(path.join(run.paths.cloned, run.repo.dir), cloneHandover(run.paths, run.repo.dir), others.length > 0);
    let saidWaiting = false;
    while (!isStopped) {
      lock = await tryLock(run, out);
      if (lock) {
        await watchWhileHolding(run, signals, out);
        return;
      }
      if (!saidWaiting) {
        out.log(
          `${service.name}: cloned/${run.repo.dir} is already watched by ${describeHolder(readLockHolder(cloneWatchLockPath(run.paths, run.repo.dir)))}, which syncs for ${service.name} too; this one takes over when it ends`,
        );
        saidWaiting = true;
      }
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, TAKE_OVER_POLL_MS))]);
    }
  } finally {
    await unregisterWatcher(run.paths, service.name);
    if (lock) releaseLock(lock);
  }
}

/** The clone's watch lock if nobody alive holds it (a dead holder's is taken over), else undefined. */
async function tryLock(run: ServiceRunContext, out: DevOutput): Promise<HeldLock | undefined> {
  try {
    return await acquireLock(cloneWatchLockPath(run.paths, run.repo.dir), {
      subject: `the watch of cloned/${run.repo.dir}`,
      purpose: `dev: watching cloned/${run.repo.dir}`,
      log: (line) => out.log(`${run.service.name}: ${line}`),
      timeoutError: () => new LockBusy(),
      timeoutMs: 0,
    });
  } catch (error) {
    if (error instanceof LockBusy) return undefined;
    throw error;
  }
}

async function watchWhileHolding(run: ServiceRunContext, signals: DevSignals, out: DevOutput): Promise<void> {
  const clone = path.join(run.paths.cloned, run.repo.dir);
  const liveServices = run.repo.services.map((name) => serviceOf(run, name)).filter((service) => service.live !== undefined);
  const saidLeft = new Set<string>();
  const onBurst = async (changes: FileChange[]): Promise<FileChange[]> => {
    const verdicts = watchedServices(
      run.paths,
      liveServices.map((service) => service.name),
    );
    for (const [name, verdict] of verdicts) {
      if (verdict === 'left' && !saidLeft.has(name)) {
        out.log(`${name}: left live mode (Rebuild on the dashboard): its changes are no longer synced; run its dev again to sync them`);
        saidLeft.add(name);
      }
    }
    const watched = liveServices.filter((service) => verdicts.get(service.name) === 'watched');
    if (watched.length === 0) return [];
    const injected = new Set(watched.flatMap((service) => injectedFiles({ repo: run.repo, service, paths: run.paths })));
    const actions = planLiveChanges(
      changes,
      watched.map((service) => ({ name: service.name, live: service.live! })),
      injected,
    );
    const owed = new Map<string, FileChange>();
    for (const action of actions) {
      try {
        await carryOut(run, action, clone, out);
      } catch (error) {
        const service = serviceOf(run, action.service);
        const notCarriedOut = changesFor(changes, service, injected);
        for (const change of notCarriedOut) owed.set(change.path, change);
        out.warn(`${loudly(action.service, error)}\n${notInContainer(action.service, notCarriedOut)}`);
      }
    }
    return [...owed.values()];
  };
  // git's index lock, held while it rewrites the work tree (a checkout): its burst is not cut in two.
  const gitBusy = () => existsSync(path.join(clone, '.git', 'index.lock'));
  const watch = await watchClone(clone, onBurst, (error) => out.warn(loudly(`cloned/${run.repo.dir}`, error)), {
    busy: gitBusy,
    handover: cloneHandover(run.paths, run.repo.dir),
  });
  out.log(
    `${run.service.name}: watching cloned/${run.repo.dir} for ${liveServices.map((service) => service.name).join(', ')} (Ctrl-C stops; the containers keep running)`,
  );
  try {
    await signals.stopped;
  } finally {
    await Promise.race([watch.close(), signals.aborted.then(() => watch.abort())]);
  }
}

/** Pure: the changes of a burst that concern `service` (those its own plan acts on). */
export function changesFor(changes: readonly FileChange[], service: ServiceModel, injected: ReadonlySet<string>): FileChange[] {
  if (!service.live) return [];
  const live = { name: service.name, live: service.live };
  return changes.filter((change) => planLiveChanges([change], [live], injected).length > 0);
}

/** Pure: the line after a failed action, naming the paths the container does not have. */
export function notInContainer(service: string, changes: readonly FileChange[]): string {
  const named = changes.slice(0, NAMED_OWED_PATHS).map((change) => change.path);
  const more = changes.length > named.length ? `, … (${changes.length - named.length} more)` : '';
  const they = changes.length === 1 ? 'it goes' : 'they go';
  return `  ${service}: ${plural(changes.length, 'change')} not in the container: ${named.join(', ')}${more}; ${they} with the next sync`;
}

async function carryOut(run: ServiceRunContext, action: LiveAction, clone: string, out: DevOutput): Promise<void> {
  const service = serviceOf(run, action.service);
  if (action.kind === 'rebuild') {
    const startedAt = Date.now();
    out.log(`${service.name}: ${action.because.join(', ')} changed: rebuilding (as \`up\` does) …`);
    await startService(serviceRunContext(run, service.name), out.log);
    const summary = rebuildSummary(action.because, Date.now() - startedAt);
    const container = await runningContainer(run, service.name);
    if (container) await recordRebuilt(run.paths, service.name, container, summary);
    out.log(`${service.name}: ${summary}`);
    return;
  }
  const container = await runningContainer(run, service.name);
  if (!container) {
    throw new DockerError(`${service.name}: no running container, so nothing was synced`, {
      fix: `start it with \`nx run ${service.name}:up\`; dev keeps watching, and the changes not synced go with the next sync`,
    });
  }
  const startedAt = Date.now();
  const outcome = await syncIntoContainer(service.name, container.id, clone, action);
  const syncMs = Date.now() - startedAt;
  const count = syncedCount(outcome);
  // Recorded before the restart: the files are in the container even if it then fails to come back.
  if (count > 0) await recordSync(run.paths, service.name, container, count, syncSummary(outcome, syncMs, { restarted: false }));
  if (action.restart && count > 0) {
    const healthyMs = await restartContainer(service, container.id, run.model.network);
    const summary = syncSummary(outcome, syncMs, { restarted: true, healthyMs });
    await recordSync(run.paths, service.name, container, 0, summary);
    out.log(`${service.name}: ${summary}`);
    return;
  }
  out.log(`${service.name}: ${syncSummary(outcome, syncMs, { restarted: false })}`);
}

async function runningContainer(run: ServiceRunContext, service: string): Promise<RunningContainer | undefined> {
  const containers = await findServiceContainers(composeProjectName(run.paths.root), service);
  const running = containers.find((container) => container.state === 'running');
  return running ? { id: running.id, image: running.image } : undefined;
}

function serviceOf(run: ServiceRunContext, name: string): ServiceModel {
  const service = run.model.services.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`model invariant broken: no service ${name}`);
  return service;
}

/** An error of the watch, said so that it stands out, with the fix; the watch goes on. */
function loudly(subject: string, error: unknown): string {
  const text = isLocalDevError(error) ? error.describe() : error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `✖ ${subject}: ${text.startsWith(`${subject}: `) ? text.slice(subject.length + 2) : text}\n  (dev keeps watching)`;
}
