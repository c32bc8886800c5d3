/**
 * inject-config's hashed state: what is injected in every clone right now, as an observation for
 * settled tokens (./settled.ts), so Nx skips inject-config while every injected file is still
 * there, unchanged and hidden from git, and runs it when anything differs (a file deleted or
 * edited, the exclude block touched, a refresh that took the files out, nothing injected yet).
 *
 * Observed, hashes only (never contents): the namespace and every injected file with the sha256 of
 * its bytes ON DISK next to the sha256 the manifest recorded (src/inject/manifest.ts) and the modes
 * of both sides; the exclude block as it stands (src/inject/exclude.ts); the clone's HEAD; the
 * namespaces' real debug configs; and every file in configs/<namespace>/, where the real secret
 * files live, which Nx's file inputs cannot see (gitignored). A clone with nothing injected is
 * observed with the time and pid, so it never equals a settled state.
 *
 * One observation for every clone, made once per hashing round by inject-config's custom hasher
 * (./hashers.ts) and shared by every inject-config task; a change in any clone or secret then
 * re-runs the inject-config batch, one process (images are not affected: build-image has its own
 * per-clone fingerprint).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { readTextIfExists } from '../core/read-if-exists';
import { BLOCK_END, BLOCK_START } from '../inject/exclude';
import { walkFolder } from '../inject/inventory';
import { manifestPath, type Manifest } from '../inject/manifest';
import { settle, type Observation } from './settled';

export const INJECT_KEY = 'inject-config';

/** Errors that mean "cannot be read as it stands" (a dangling link to an unmounted store, no permission). */
const UNREADABLE = new Set(['ENOENT', 'EACCES', 'EPERM', 'ELOOP', 'EISDIR', 'ENOTDIR']);

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** sha256 of a file, or why it cannot be read. */
function contentOf(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch (error) {
    if (UNREADABLE.has(code(error) ?? '')) return `unreadable ${code(error)}`;
    throw error;
  }
}

/**
 * Permission bits, following links (injection reads the source and the clone keeps the copy):
 * injected secrets keep their source's mode, so a chmod of either side must make inject-config run.
 */
function modeOf(file: string): string {
  try {
    return (statSync(file).mode & 0o7777).toString(8).padStart(4, '0');
  } catch (error) {
    if (UNREADABLE.has(code(error) ?? '')) return `unreadable ${code(error)}`;
    throw error;
  }
}

function fileState(file: string): string {
  const content = contentOf(file);
  return content.startsWith('unreadable') ? content : `${content} mode ${modeOf(file)}`;
}

/** Whether `file` is a folder, following links; a dangling link counts as a file (contentOf says why). */
function isFolder(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch (error) {
    if (['ENOENT', 'EACCES', 'ELOOP'].includes(code(error) ?? '')) return false;
    throw error;
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readTextIfExists(file);
  } catch (error) {
    if (code(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Where the clone's HEAD points, read from the files (no git process): a commit, branch switch or
 * reset can stop tracking a file injected over a tracked one, so inject-config must look again.
 */
function headOf(clone: string): string {
  const gitDir = path.join(clone, '.git');
  const head = readOptional(path.join(gitDir, 'HEAD'));
  if (head === undefined) return 'head none';
  const ref = /^ref: (\S+)/.exec(head);
  if (!ref) return `head ${head.trim()}`;
  const loose = readOptional(path.join(gitDir, ref[1]));
  if (loose !== undefined) return `head ${ref[1]} ${loose.trim()}`;
  const packed = (readOptional(path.join(gitDir, 'packed-refs')) ?? '').split('\n').find((line) => line.endsWith(` ${ref[1]}`));
  return `head ${ref[1]} ${packed ? packed.split(' ')[0] : 'unborn'}`;
}

/**
 * Every file under `folder`, sorted, walked as inject-config walks it (../inject/inventory.ts):
 * links followed, each real folder once, so a link loop ends the look instead of hanging every
 * run. A link to nothing or round a loop is listed too: its state says so ("unreadable ENOENT",
 * "unreadable ELOOP"), and inject-config reports it where it matters.
 */
function filesUnder(folder: string): string[] {
  return walkFolder(folder).map((entry) => path.join(folder, entry.path));
}

/** One clone: its manifest's files on disk, the exclude block, its HEAD and its real debug configs. */
export function cloneInjectionState(root: string, clone: string, debugFolders: string[]): string[] {
  const manifestText = readOptional(manifestPath(path.join(clone, '.git')));
  if (manifestText === undefined) return [`nothing injected in ${clone} (${Date.now()}-${process.pid})`];
  const manifest = JSON.parse(manifestText) as Manifest;
  const lines = [`namespace ${manifest.namespace}`, headOf(clone)];
  for (const entry of manifest.files) {
    const dest = path.join(clone, entry.dest);
    const onDisk = readOptional(dest) === undefined ? 'missing' : fileState(dest);
    lines.push(`${entry.dest} recorded ${entry.sha256} on-disk ${onDisk} source-mode ${modeOf(path.join(root, entry.origin))}`);
  }
  const exclude = readOptional(path.join(clone, '.git', 'info', 'exclude')) ?? '';
  const start = exclude.indexOf(BLOCK_START);
  const end = exclude.indexOf(BLOCK_END, start);
  lines.push(start === -1 || end === -1 ? 'exclude block missing' : exclude.slice(start, end + BLOCK_END.length));
  for (const folder of debugFolders) {
    for (const file of filesUnder(folder)) lines.push(`debug ${file} ${contentOf(file)}`);
  }
  return lines;
}

/** configs/<ns> of every namespace, sorted. Folders only: configs/README.md ships beside them and is no namespace. */
function namespaceFolders(root: string): string[] {
  const configs = path.join(root, 'configs');
  try {
    return readdirSync(configs)
      .sort()
      .map((namespace) => path.join(configs, namespace))
      .filter(isFolder);
  } catch (error) {
    if (code(error) === 'ENOENT') return [];
    throw error;
  }
}

/** The whole workspace: every namespace's files (debug-configs/ per clone, below), then every clone. */
export function workspaceInjectionState(root: string, dirs: string[]): string[] {
  const folders = namespaceFolders(root);
  const secrets = folders.flatMap((folder) => {
    const debugConfigs = path.join(folder, 'debug-configs') + path.sep;
    return filesUnder(folder)
      .filter((file) => !file.startsWith(debugConfigs))
      .map((file) => `secret ${path.relative(root, file)} ${fileState(file)}`);
  });
  return [
    '[configs]',
    ...secrets,
    // Each clone's debug configs: configs/<ns>/debug-configs/<dir> of every namespace.
    ...dirs.flatMap((dir) => [
      `[cloned/${dir}]`,
      ...cloneInjectionState(
        root,
        path.join(root, 'cloned', dir),
        folders.map((folder) => path.join(folder, 'debug-configs', dir)),
      ),
    ]),
  ];
}

/** `dirs`: the clone folders under cloned/, one per repo of the config. */
export function observeInjection(root: string, dirs: string[]): Observation {
  return { text: workspaceInjectionState(root, dirs).join('\n'), satisfied: true };
}

/** After inject-config succeeded: records what is injected now under the token it ran with. */
export function settleInjection(root: string, dirs: string[]): void {
  settle(root, INJECT_KEY, observeInjection(root, dirs));
}
