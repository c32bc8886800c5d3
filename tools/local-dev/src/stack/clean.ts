/**
 * clean: stop the stack, then remove what local-dev made — this workspace's images (by its label:
 * never the user's other Docker data), its containers and network (through stop), the generated
 * files, and cloned/.
 *
 * A clone holding work that exists nowhere else — uncommitted or untracked files, commits on no
 * remote, local-dev's own refresh backups, stashes — is refused before anything is touched,
 * unless --force. Then it is first saved as refresh saves it (src/git/backup.ts: a stash-format
 * commit under refs/local-dev/backup/ and in `git stash list`), and the whole folder is moved, not
 * deleted, to logs/backups/<time>/<dir> — outside cloned/ — with the command that puts it back.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkspaceModel } from '../config/model';
import { UsageError } from '../core/errors';
import { displayPath, type WorkspacePaths } from '../core/workspace';
import { backupStamp, saveLocalWork } from '../git/backup';
import { withCloneLock } from '../git/clone-lock';
import { git } from '../git/git';
import { inspectFolder } from '../git/inspect';
import { readStatus } from '../git/status';
import { buildRecordPath } from '../docker/build-record';
import { workspaceFilter } from '../docker/naming';
import { removeTunnelState } from '../tunnel/state';
import { docker } from './engine';
import { stopStack } from './stop';

/** What would be lost with a folder of cloned/; empty when nothing would. */
export interface WorkAtRisk {
  dir: string;
  /** Folder is not a git clone of its own: nothing can tell what it holds. */
  notAClone?: string;
  changedFiles: number;
  /** Commits reachable from a local branch or HEAD but from no remote-tracking branch. */
  unpushedCommits: number;
  /** refs/local-dev/backup/* (refresh's backups) and stash entries. */
  savedWork: number;
}

/** Pure: is anything at risk? */
export function atRisk(work: WorkAtRisk): boolean {
  return work.notAClone !== undefined || work.changedFiles > 0 || work.unpushedCommits > 0 || work.savedWork > 0;
}

/** Pure: "cloned/x: 2 uncommitted or untracked files, 1 unpushed commit". */
export function describeRisk(work: WorkAtRisk): string {
  if (work.notAClone) return `cloned/${work.dir}: not a git clone (${work.notAClone})`;
  const parts = [
    work.changedFiles > 0 ? `${work.changedFiles} uncommitted or untracked file${work.changedFiles === 1 ? '' : 's'}` : '',
    work.unpushedCommits > 0 ? `${work.unpushedCommits} commit${work.unpushedCommits === 1 ? '' : 's'} on no remote` : '',
    work.savedWork > 0 ? `${work.savedWork} saved stash/backup${work.savedWork === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return `cloned/${work.dir}: ${parts.join(', ')}`;
}

/** Every folder of cloned/ (not the hidden lock files and partial clones). */
export function cloneFolders(paths: WorkspacePaths): string[] {
  if (!existsSync(paths.cloned)) return [];
  return readdirSync(paths.cloned, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

export async function measureRisk(folder: string): Promise<WorkAtRisk> {
  const dir = path.basename(folder);
  const found = await inspectFolder(folder);
  if (found.type === 'missing' || found.type === 'empty-folder') return { dir, changedFiles: 0, unpushedCommits: 0, savedWork: 0 };
  if (found.type === 'not-a-clone') return { dir, notAClone: found.why, changedFiles: 0, unpushedCommits: 0, savedWork: 0 };
  const status = await readStatus(folder);
  const hasHead = status.oid !== undefined;
  // HEAD too: a detached HEAD's commits are on no branch.
  const unpushed = hasHead ? Number((await git(['rev-list', '--count', 'HEAD', '--branches', '--not', '--remotes'], { cwd: folder })).stdout) : 0;
  const saved = (await git(['for-each-ref', '--format=%(refname)', 'refs/local-dev/backup/', 'refs/stash'], { cwd: folder })).stdout.split('\n').filter(Boolean).length;
  return { dir, changedFiles: status.changed.length, unpushedCommits: unpushed, savedWork: saved };
}

export interface CleanRequest {
  paths: WorkspacePaths;
  model: Pick<WorkspaceModel, 'network' | 'services'>;
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

export async function cleanStack(request: CleanRequest): Promise<CleanReport> {
  const { paths, log } = request;
  // Before anything changes: the engine answers, and no clone holds work that would be lost.
  await docker(['version', '--format', '{{.Server.Version}}']);
  const risks = (await Promise.all(cloneFolders(paths).map((dir) => measureRisk(path.join(paths.cloned, dir))))).filter(atRisk);
  if (risks.length > 0 && !request.force) {
    throw new UsageError(`clean would lose work that exists only here — nothing was changed:\n${risks.map((risk) => `  ${describeRisk(risk)}`).join('\n')}`, {
      fix: 'commit and push it (or move it out of cloned/), or run clean with --force: it first saves that work and moves each such clone to logs/backups/, printing how to put it back',
    });
  }
  await stopStack(paths, request.model, log);
  // The stopped tunnel's last state: nothing runs any more to be described by it.
  removeTunnelState(paths);
  const images = (await docker(['images', '--quiet', '--no-trunc', ...workspaceFilter(paths.root)])).stdout.split('\n').filter(Boolean);
  if (images.length > 0) await docker(['rmi', '--force', ...new Set(images)], 120_000);
  log(images.length > 0 ? `removed ${new Set(images).size} image(s) of this workspace` : 'no image of this workspace');
  removeGeneratedFiles(paths, request.model, log);
  const backedUp: Record<string, string> = {};
  const removedClones: string[] = [];
  const stamp = backupStamp(request.now);
  for (const dir of cloneFolders(paths)) {
    const folder = path.join(paths.cloned, dir);
    await withCloneLock(folder, `cloned/${dir}`, { purpose: 'clean', log }, async () => {
      const risk = await measureRisk(folder);
      if (!atRisk(risk)) {
        rmSync(folder, { recursive: true, force: true });
        removedClones.push(dir);
        return;
      }
      backedUp[dir] = await backUp(paths, folder, stamp, risk, request.now, log);
    });
  }
  if (existsSync(paths.cloned) && readdirSync(paths.cloned).every((name) => name.startsWith('.'))) rmSync(paths.cloned, { recursive: true, force: true });
  log(removedClones.length > 0 ? `removed ${removedClones.map((dir) => `cloned/${dir}`).join(', ')}` : 'no clone to remove');
  return { images: new Set(images).size, removedClones, backedUp };
}

/** Saves the clone's local work as refresh would, then moves the whole folder out of cloned/. */
async function backUp(paths: WorkspacePaths, folder: string, stamp: string, risk: WorkAtRisk, now: Date, log: (line: string) => void): Promise<string> {
  const destination = path.join(paths.logs, 'backups', stamp, risk.dir);
  const shown = displayPath(paths, destination);
  let saved: string[] = [];
  if (!risk.notAClone && (risk.changedFiles > 0 || risk.unpushedCommits > 0)) {
    const status = await readStatus(folder);
    const summary = status.oid ? await saveLocalWork(folder, `cloned/${risk.dir}`, status.upstream, now, undefined, []) : undefined;
    // The folder keeps its working tree as it was; the ref is a second copy git users can find.
    if (summary) saved = [`its local work is also saved inside it as ${summary.ref} (\`git stash list\` shows it)`];
  }
  mkdirSync(path.dirname(destination), { recursive: true });
  renameSync(folder, destination);
  log(`${describeRisk(risk)} — moved to ${shown} instead of deleting it`);
  log(`  to put it back: mv ${shown} cloned/${risk.dir}`);
  for (const line of saved) log(`  ${line}`);
  return shown;
}

/** Pure: the generated files clean removes (workspace-relative), given the services. */
export function generatedFiles(paths: WorkspacePaths, services: readonly string[]): string[] {
  return [
    paths.composeFile,
    ...services.map((service) => buildRecordPath(paths, service)),
    path.join(paths.logs, 'build_output.log'),
    path.join(paths.logs, 'run_metrics.json'),
    path.join(paths.logs, 'progress.json'),
    path.join(paths.logs, 'redis-tunnel.log'),
  ];
}

function removeGeneratedFiles(paths: WorkspacePaths, model: Pick<WorkspaceModel, 'services'>, log: (line: string) => void): void {
  const removed = generatedFiles(paths, model.services.map((service) => service.name)).filter((file) => existsSync(file));
  for (const file of removed) rmSync(file, { force: true });
  log(removed.length > 0 ? `removed ${removed.map((file) => displayPath(paths, file)).join(', ')}` : 'no generated file to remove');
}
