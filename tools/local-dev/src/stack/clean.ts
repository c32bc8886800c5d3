/**
 * clean: stop the stack, then remove what local-dev made — this workspace's images (by its label:
 * never the user's other Docker data), its containers and network (through stop), the generated
 * files, and the clones it made (./clean-risk.ts says which, and what else a folder holds).
 *
 * Nothing of the user's is deleted. A folder of cloned/ that local-dev did not make, or that holds
 * anything it did not make — uncommitted, untracked or ignored files of the user's (a `.env.mine`,
 * a local database), commits on no remote, refresh's backups or stashes, an injected file edited
 * since — stops clean before anything is touched, listing each, unless --force. Then such a clone's
 * local work is first saved as refresh saves it (src/git/backup.ts: a stash-format commit under
 * refs/local-dev/backup/ and in `git stash list`), and the whole folder is moved, not deleted, to
 * logs/backups/<time>/<dir> with the command that puts it back. A cloned/ that is a symlink (or not
 * a folder) stops clean even with --force: what lives behind it is not local-dev's to judge.
 *
 * Order: what runs and what takes disk space (containers, network, tunnel, images) goes first, and
 * none of that needs to write in logs/. Only the backups do: when logs/ cannot be written (read
 * only, full), the clones to be moved stay where they are, untouched, everything else is done, and
 * clean fails naming each.
 */
import { lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkspaceModel } from '../config/model';
import { UsageError } from '../core/errors';
import { isProcessAlive } from '../core/proc';
import { lockLeftoverPid, removeStaleLock, unwrittenWarning } from '../core/lock';
import { displayPath, type WorkspacePaths } from '../core/workspace';
import { backupStamp, saveLocalWork } from '../git/backup';
import { withCloneLock } from '../git/clone-lock';
import { removeLeftoverPartials } from '../git/fresh-clone';
import { readStatus } from '../git/status';
import { buildRecordPath } from '../docker/build-record';
import { workspaceFilter } from '../core/naming';
import { removeTunnelState } from '../tunnel/state';
import { atRisk, clonedEntries, describeRisk, isOwnHiddenEntry, measureRisk, type WorkAtRisk } from './clean-risk';
import { docker } from '../docker/cli';
import { stopStack } from './stop';
import { PRIVATE_DIR_MODE } from '../core/private-dir';
import { buildOutputFile, metricsFile, progressFile } from '../core/run-record';
import { logFile as tunnelLogFile } from '../tunnel/state';

export { atRisk, describeRisk, measureRisk, type WorkAtRisk } from './clean-risk';

export interface CleanRequest {
  paths: WorkspacePaths;
  model: Pick<WorkspaceModel, 'network' | 'services' | 'repos'>;
  force: boolean;
  now: Date;
  log: (line: string) => void;
}

export interface CleanReport {
  images: number;
  removedClones: string[];
  /** dir → where it was moved. */
  backedUp: Record<string, string>;
}

type Log = (line: string) => void;

export async function cleanStack(request: CleanRequest): Promise<CleanReport> {
  const { paths, model, log } = request;
  // Before anything changes: the engine answers, cloned/ is a folder of ours, and no entry of it holds work that would be lost.
  await docker(['version', '--format', '{{.Server.Version}}']);
  refuseForeignClonedFolder(paths);
  const risks = (await Promise.all(clonedEntries(paths).map((dir) => measureRisk(paths, model, dir)))).filter(atRisk);
  if (risks.length > 0 && !request.force) {
    throw new UsageError(`clean would lose work that exists only here — nothing was changed:\n${risks.map((risk) => `  ${describeRisk(risk)}`).join('\n')}`, {
      fix: 'commit and push your work (or move it out of cloned/), or run clean with --force: it moves each folder listed, as it is, to logs/backups/ (saving its local work as a git stash first), printing how to put it back',
    });
  }
  const { unwritten } = await stopStack(paths, model, log);
  // Stopping went on without the records logs/ refused (stop.ts says why): said, as stack:stop says it.
  const refused = unwrittenWarning('stack:clean', unwritten);
  if (refused) log(refused);
  const images = [...new Set((await docker(['images', '--quiet', '--no-trunc', ...workspaceFilter(paths.root)])).stdout.split('\n').filter(Boolean))];
  if (images.length > 0) await docker(['rmi', '--force', ...images], 120_000);
  log(images.length > 0 ? `removed ${images.length} image(s) of this workspace` : 'no image of this workspace');

  const problems: string[] = [];
  const { removedClones, toMove } = await removeOwnClones(request);
  removeGeneratedFiles(paths, model, log, problems);
  let backedUp: Record<string, string> = {};
  if (request.force) backedUp = await moveToBackups(paths, toMove, request.now, log, problems);
  // Without --force, only a folder that changed after the check above is left: it is kept as it is.
  else if (toMove.length > 0) problems.push(`changed while clean ran, so kept as it is:\n${toMove.map((risk) => `    ${describeRisk(risk)}`).join('\n')}`);
  tidyClonedFolder(paths, log);
  if (problems.length > 0) {
    throw new UsageError(
      `clean stopped the stack and removed its images, but could not finish — nothing listed here was deleted:\n${problems.map((problem) => `  ${problem}`).join('\n')}`,
      {
        fix: 'when logs/ cannot be written (read-only, or the disk full), make it writable; then run clean again, or see to each entry listed yourself',
      },
    );
  }
  return { images: images.length, removedClones, backedUp };
}

/** A cloned/ that is a symlink or a file is not local-dev's folder: clean does not guess what lives behind it. */
function refuseForeignClonedFolder(paths: WorkspacePaths): void {
  const stats = lstatSync(paths.cloned, { throwIfNoEntry: false });
  if (!stats || stats.isDirectory()) return;
  if (stats.isSymbolicLink()) {
    const target = readlinkSync(paths.cloned);
    throw new UsageError(
      `cloned/ is a symlink to ${target}: clean removes only what local-dev made, and does not delete in a folder it did not make — nothing was changed`,
      {
        fix: `remove the link yourself (rm cloned: ${target} stays as it is) and run clean again; or put that folder in its place (rm cloned && mv ${target} cloned), and clean then sorts what is yours from what local-dev made`,
      },
    );
  }
  throw new UsageError('cloned is a file, not the folder local-dev clones into — nothing was changed', {
    fix: 'move it away (mv cloned cloned.old) and run clean again',
  });
}

/** Deletes each folder of cloned/ that is local-dev's and holds nothing else; returns the others, measured again under the clone's lock. */
async function removeOwnClones(request: CleanRequest): Promise<{ removedClones: string[]; toMove: WorkAtRisk[] }> {
  const { paths, model, log } = request;
  const removedClones: string[] = [];
  const toMove: WorkAtRisk[] = [];
  for (const dir of clonedEntries(paths)) {
    const settle = async () => {
      const risk = await measureRisk(paths, model, dir);
      if (atRisk(risk)) {
        toMove.push(risk);
        return;
      }
      rmSync(path.join(paths.cloned, dir), { recursive: true, force: true });
      removedClones.push(dir);
    };
    // A repo's folder is changed by clone and inject-config under its lock: wait for them. No local-dev command works in any other folder.
    if (model.repos.some((repo) => repo.dir === dir)) await withCloneLock(path.join(paths.cloned, dir), `cloned/${dir}`, { purpose: 'clean', log }, settle);
    else await settle();
  }
  log(removedClones.length > 0 ? `removed ${removedClones.map((dir) => `cloned/${dir}`).join(', ')}` : 'no clone to remove');
  return { removedClones, toMove };
}

/**
 * Moves each folder, as it is, to logs/backups/<time>/<dir>. When logs/backups/ cannot be
 * written, none is touched (not even its stash is made) and each is named in `problems`.
 */
async function moveToBackups(paths: WorkspacePaths, risks: readonly WorkAtRisk[], now: Date, log: Log, problems: string[]): Promise<Record<string, string>> {
  const backedUp: Record<string, string> = {};
  if (risks.length === 0) return backedUp;
  let folder: string;
  try {
    folder = makeBackupFolder(paths, backupStamp(now));
  } catch (error) {
    problems.push(
      `could not write ${displayPath(paths, path.join(paths.logs, 'backups'))}/ (${describeFsError(error)}), so these stay where they are, untouched:\n${risks.map((risk) => `    ${describeRisk(risk)}`).join('\n')}`,
    );
    return backedUp;
  }
  const shownFolder = displayPath(paths, folder);
  for (const risk of risks) {
    const source = path.join(paths.cloned, risk.dir);
    const destination = path.join(folder, risk.dir);
    try {
      const saved = await saveWorkInside(source, risk, now);
      renameSync(source, destination);
      const shown = displayPath(paths, destination);
      log(`${describeRisk(risk)} — moved to ${shown} instead of deleting it`);
      log(`  to put it back: mv ${shown} cloned/${risk.dir}`);
      if (saved) log(`  its local work is also saved inside it as ${saved} (\`git stash list\` shows it)`);
      backedUp[risk.dir] = shown;
    } catch (error) {
      problems.push(`could not move cloned/${risk.dir} to ${shownFolder}/ (${describeFsError(error)}); it stays where it is`);
    }
  }
  if (Object.keys(backedUp).length > 0) {
    log(
      `backups are kept in ${shownFolder}/, with the secret files local-dev injected into those clones (and any of your own): keep the folder to yourself, and delete it (rm -r ${shownFolder}) once you no longer need it`,
    );
  }
  return backedUp;
}

/**
 * logs/backups/<stamp> made fresh (a second clean in the same second gets <stamp>-2). One level at
 * a time: a recursive mkdir on a read-only disk says ENOENT, hiding the reason.
 */
function makeBackupFolder(paths: WorkspacePaths, stamp: string): string {
  const backups = path.join(paths.logs, 'backups');
  for (const folder of [paths.logs, backups]) makeFolder(folder);
  for (let n = 1; ; n++) {
    const folder = path.join(backups, n === 1 ? stamp : `${stamp}-${n}`);
    if (makeFolder(folder)) return folder;
  }
}

/** false when it exists already. */
function makeFolder(folder: string): boolean {
  try {
    // Backups hold clones with their injected secrets: the user's alone (../core/private-dir.ts).
    mkdirSync(folder, { mode: PRIVATE_DIR_MODE });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}

/** A clone's uncommitted work and local commits, kept as a stash-format ref in its own .git: a second copy git users find. */
async function saveWorkInside(folder: string, risk: WorkAtRisk, now: Date): Promise<string | undefined> {
  // Only a clone of its own has changed files or commits to count (../stack/clean-risk.ts).
  if (risk.changedFiles === 0 && risk.unpushedCommits === 0) return undefined;
  const status = await readStatus(folder);
  if (!status.oid) return undefined;
  return (await saveLocalWork(folder, `cloned/${risk.dir}`, status.upstream, now, undefined, []))?.ref;
}

/** Pure: the generated files clean removes (workspace-relative), given the services. */
export function generatedFiles(paths: WorkspacePaths, services: readonly string[]): string[] {
  return [
    paths.composeFile,
    ...services.map((service) => buildRecordPath(paths, service)),
    buildOutputFile(paths),
    metricsFile(paths),
    progressFile(paths),
    tunnelLogFile(paths),
  ];
}

function removeGeneratedFiles(paths: WorkspacePaths, model: Pick<WorkspaceModel, 'services'>, log: Log, problems: string[]): void {
  const files = generatedFiles(
    paths,
    model.services.map((service) => service.name),
  ).filter((file) => lstatSync(file, { throwIfNoEntry: false }));
  const removals: { shown: string; remove: () => void; quiet?: boolean }[] = [
    ...files.map((file) => ({ shown: displayPath(paths, file), remove: () => rmSync(file, { force: true }) })),
    // The stopped tunnel's last state: nothing runs any more to be described by it.
    { shown: "the Redis tunnel's state", remove: () => removeTunnelState(paths), quiet: true },
  ];
  const removed: string[] = [];
  /** reason → what it kept. */
  const kept = new Map<string, string[]>();
  for (const { shown, remove, quiet } of removals) {
    try {
      remove();
      if (!quiet) removed.push(shown);
    } catch (error) {
      const reason = describeFsError(error);
      kept.set(reason, [...(kept.get(reason) ?? []), shown]);
    }
  }
  for (const [reason, shown] of kept) problems.push(`could not remove ${shown.join(', ')} (${reason})`);
  log(removed.length > 0 ? `removed ${removed.join(', ')}` : 'no generated file to remove');
}

/** cloned/ goes when nothing but local-dev's own leftovers (locks of ended commands, interrupted clones) is left in it. */
function tidyClonedFolder(paths: WorkspacePaths, log: Log): void {
  let names: string[];
  try {
    names = readdirSync(paths.cloned);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!names.every(isOwnHiddenEntry)) return;
  for (const dir of new Set(names.map((name) => /^\.(.+)\.partial-/.exec(name)?.[1]).filter((dir) => dir !== undefined)))
    removeLeftoverPartials(paths.cloned, dir, log);
  for (const name of names.filter((entry) => entry.endsWith('.lock'))) removeStaleLock(path.join(paths.cloned, name));
  // A lock's temporary or set-aside file belongs to the command taking it: removed only once that command is gone.
  for (const name of names) {
    const pid = lockLeftoverPid(name);
    if (pid !== undefined && !isProcessAlive(pid)) rmSync(path.join(paths.cloned, name), { force: true });
  }
  if (readdirSync(paths.cloned).length === 0) rmdirSync(paths.cloned);
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'EROFS'
      ? 'the file system is read-only'
      : code === 'ENOSPC'
        ? 'the disk is full'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EXDEV'
            ? 'it is on another disk'
            : undefined;
  return reason ? `${reason}: ${code}` : error instanceof Error ? error.message : String(error);
}
