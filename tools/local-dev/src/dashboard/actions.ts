/**
 * The dashboard's buttons, each the same code as its command line: restart a service (the code of
 * `nx run stack:restart --services=<svc> --tunnel=false`), rebuild a service (`nx run <svc>:up`,
 * as a child process with an argument array: build-image then up, exactly as a run does; first it
 * leaves live mode for the service, so a dev watching it stops syncing into the container `up`
 * replaces), and
 * reconnect the Redis tunnel (ensureTunnel with reconnect, the code of `redis-tunnel:restart`).
 *
 * The same action never runs twice at once for the same subject: a second click while the first
 * runs is refused here, and restart/up also hold the service's lock (src/docker/service-lock.ts)
 * against a terminal doing the same.
 */
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { exec } from '../core/exec';
import { markLiveLeft } from '../live/state';
import { openWorkspace } from '../stack/gather';
import { restartStack } from '../stack/restart';
import { DEFAULT_WAIT_MS, ensureTunnel } from '../tunnel/control';

export const ACTIONS = ['restart', 'rebuild', 'reconnect-tunnel'] as const;
export type ActionName = (typeof ACTIONS)[number];

export function isActionName(name: string): name is ActionName {
  return (ACTIONS as readonly string[]).includes(name);
}

/** Runs one action to its end; `log` gets its progress lines. Throws what the command line would. */
export type ActionRunner = (action: ActionName, service: string | undefined, log: (line: string) => void) => Promise<void>;

/** Pure: the nx arguments of a rebuild (never a shell string: the service name is one argument). */
export function rebuildArgs(service: string, namespace: string): string[] {
  return ['run', `${service}:up`, '--outputStyle=stream', `--namespace=${namespace}`];
}

/**
 * `requested` is the dashboard's --namespace (undefined: follow the stack's last run). Each action
 * settles it once, as the page's picture does, and every action passes that settled namespace on:
 * a rebuild must start the service in the namespace the page shows it in, as restart does.
 */
export function workspaceActions(workspaceRoot: string, requested: string | undefined): ActionRunner {
  return async (action, service, log) => {
    const { paths, model, namespace: resolved } = openWorkspace(workspaceRoot, requested);
    if (action === 'reconnect-tunnel') {
      await ensureTunnel({ paths, model, namespace: resolved }, { reconnect: true, timeoutMs: DEFAULT_WAIT_MS, report: log });
      return;
    }
    if (!service || !model.services.some((candidate) => candidate.name === service))
      throw new UsageError(`no service ${JSON.stringify(service ?? '')} in config.yaml`);
    if (action === 'restart') {
      await restartStack({ paths, model, namespace: resolved, services: [service], named: true, tunnel: false, log });
      return;
    }
    // Before `up`: a watcher syncing into the new container would make it live again at once.
    if (await markLiveLeft(paths, service, new Date())) log(`${service}: left live mode (dev stops syncing it)`);
    await exec(path.join(paths.root, 'node_modules', '.bin', 'nx'), rebuildArgs(service, resolved), {
      cwd: paths.root,
      env: { NX_TUI: 'false', FORCE_COLOR: '0' },
      onOutput: (chunk) =>
        chunk
          .split('\n')
          .filter((line) => line.trim() !== '')
          .forEach(log),
    });
  };
}

/** The key that makes two clicks "the same action": the action and its service. */
export function actionKey(action: ActionName, service: string | undefined): string {
  return `${action}:${service ?? ''}`;
}
