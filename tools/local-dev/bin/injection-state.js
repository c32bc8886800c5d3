#!/usr/bin/env node
/**
 * Nx runtime input of inject-config: what is injected in a clone right now, so Nx can skip the
 * task when every injected file is still there, unchanged, and hidden from git, and run it when
 * anything differs (a file deleted or edited, the exclude block touched, a refresh that took the
 * files out, nothing injected yet).
 *
 * Prints the namespace and every injected file with the sha256 of its bytes ON DISK, next to the
 * sha256 the manifest recorded; the exclude block as it stands; the hashes of the namespace's
 * real (gitignored) debug configs; and the hashes of every file in configs/<namespace>/, where the
 * real secret files live, which file inputs cannot see either. Hashes only, never contents.
 *
 * Plain JavaScript with no imports from src/ (a bare `node` start, no TypeScript load). It reads the
 * manifest that src/inject/manifest.ts writes and the block markers of src/inject/exclude.ts; keep
 * them in step (tools/local-dev/bin/injection-state.spec.ts runs real injections).
 *
 * One command for every clone of the workspace (the same string in every inject-config target), so
 * Nx runs it once per run instead of starting node once per repo; a change in any clone's injection
 * or in any secret file then re-runs the inject-config batch, which is one process (images are not
 * affected: build-image has its own per-repo fingerprint, bin/input-state.sh).
 *
 * Nx hashes the output and ignores the exit code: a file that cannot be read is reported as such
 * (a line that changes when it becomes readable), and any other failure prints a line that never
 * repeats, so inject-config runs and says what is wrong instead of being skipped for good.
 *
 * usage: node tools/local-dev/bin/injection-state.js <argument file>   (run in the workspace root)
 * The argument file, written by the plugin (src/plugin/runtime-inputs.ts), names one clone folder
 * (under cloned/) per line: config text is read as data, never put into the command Nx runs.
 */
'use strict';
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, statSync } = require('node:fs');
const path = require('node:path');

const BLOCK_START = '# >>> local-dev: injected files (managed by local-dev; edits inside this block are lost)';
const BLOCK_END = '# <<< local-dev';

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** sha256 of a file, or why it cannot be read (a dangling link to an unmounted store, no permission). */
function contentOf(file) {
  try {
    return sha256(file);
  } catch (error) {
    if (['ENOENT', 'EACCES', 'EPERM', 'ELOOP', 'EISDIR'].includes(error.code)) return `unreadable ${error.code}`;
    throw error;
  }
}

/**
 * Permission bits of a file, following links (as injection reads the source and the clone keeps
 * the copy), or why they cannot be read: injected secrets must keep their source's mode, so a
 * chmod of either side must make inject-config run again.
 */
function modeOf(file) {
  try {
    return (statSync(file).mode & 0o7777).toString(8).padStart(4, '0');
  } catch (error) {
    if (['ENOENT', 'EACCES', 'EPERM', 'ELOOP', 'ENOTDIR'].includes(error.code)) return `unreadable ${error.code}`;
    throw error;
  }
}

/** A file's sha256 and permission bits, or why it cannot be read. */
function fileState(file) {
  const content = contentOf(file);
  return content.startsWith('unreadable') ? content : `${content} mode ${modeOf(file)}`;
}

/** Whether `file` is a folder, following links; a dangling link counts as a file (contentOf says why). */
function isFolder(file) {
  try {
    return statSync(file).isDirectory();
  } catch (error) {
    if (['ENOENT', 'EACCES', 'ELOOP'].includes(error.code)) return false;
    throw error;
  }
}

/**
 * Where the clone's HEAD points, read from the files (no git process): a commit, branch switch or
 * reset can stop tracking a file injected over a tracked one, so inject-config must look again.
 */
function headOf(clone) {
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

function readOptional(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Every file under `folder` (following links, as inject-config does), sorted, workspace-relative. */
function filesUnder(folder) {
  let entries;
  try {
    entries = readdirSync(folder);
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .sort()
    .flatMap((entry) => {
      const full = path.join(folder, entry);
      return isFolder(full) ? filesUnder(full) : [full];
    });
}

function injectionState(root, clone, debugFolders) {
  const lines = [];
  const manifestText = readOptional(path.join(clone, '.git', 'local-dev', 'injected.json'));
  if (manifestText === undefined) return [`nothing injected in ${clone} (${Date.now()}-${process.pid})`];
  const manifest = JSON.parse(manifestText);
  lines.push(`namespace ${manifest.namespace}`, headOf(clone));
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

module.exports = { injectionState };

/**
 * configs/<ns> of every namespace, sorted; listed once per run and shared by both uses below.
 * Folders only: configs/README.md ships beside them and is no namespace.
 */
function namespaceFolders(root) {
  const configs = path.join(root, 'configs');
  try {
    return readdirSync(configs)
      .sort()
      .map((namespace) => path.join(configs, namespace))
      .filter(isFolder);
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Every file of every namespace folder except debug-configs/ (reported per clone below): the real
 * secret files, whatever services use them, and the committed templates beside them.
 */
function namespaceFilesState(root, folders) {
  return folders.flatMap((folder) => {
    const debugConfigs = path.join(folder, 'debug-configs') + path.sep;
    return filesUnder(folder)
      .filter((file) => !file.startsWith(debugConfigs))
      .map((file) => `secret ${path.relative(root, file)} ${fileState(file)}`);
  });
}

function workspaceInjectionState(root, dirs) {
  const folders = namespaceFolders(root);
  return [
    '[configs]',
    ...namespaceFilesState(root, folders),
    // Each clone's debug configs: configs/<ns>/debug-configs/<dir> of every namespace.
    ...dirs.flatMap((dir) => [`[cloned/${dir}]`, ...injectionState(root, path.join(root, 'cloned', dir), folders.map((folder) => path.join(folder, 'debug-configs', dir)))]),
  ];
}

module.exports.workspaceInjectionState = workspaceInjectionState;

if (require.main === module) {
  try {
    const dirs = readFileSync(process.argv[2], 'utf8').split('\n').filter((line) => line !== '');
    process.stdout.write(`${workspaceInjectionState(process.cwd(), dirs).join('\n')}\n`);
  } catch (error) {
    process.stdout.write(`injection-state failed at ${Date.now()}-${process.pid}: ${error.message}\n`);
  }
}
