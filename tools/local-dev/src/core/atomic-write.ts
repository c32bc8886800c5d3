/**
 * Writes a file so that a reader sees the old content or the new, never half of it, and so that
 * the new content survives a crash or power cut once this returns: the bytes go to a temporary
 * file beside it, which is fsynced, then renamed over it (rename is atomic on one file system),
 * then the folder is fsynced so the rename itself is on disk. A failed write removes its temporary
 * file and rethrows.
 *
 * Modes (permission bits only; setuid/setgid/sticky are never carried over):
 *  - `mode` given: the file gets exactly that, whatever the umask;
 *  - else, replacing a file: it keeps that file's mode (a user's chmod 600, or the executable bit
 *    of a tracked script, is not lost to a rewrite);
 *  - else, a new file: what writeFileSync would give (0666 minus the umask).
 * When the final mode is decided by us, the temporary file is created 0600 and widened only after
 * its content is written: a secret is never readable by others, not even half-written.
 *
 * (write-file-atomic does the same, but it is only a dev dependency of a dev dependency here, not
 * one of ours; these ~60 lines avoid adding a runtime dependency.)
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import * as path from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits for the file (e.g. 0o600). Default: keep the replaced file's, else 0666 minus umask. */
  mode?: number;
}

/** The permission bits of `file`, or undefined when it does not exist. */
export function existingMode(file: string): number | undefined {
  try {
    return statSync(file).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function writeFileAtomically(file: string, content: string | Buffer, options: AtomicWriteOptions = {}): void {
  const folder = path.dirname(file);
  const temporary = path.join(folder, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = options.mode === undefined ? existingMode(file) : options.mode & 0o777;
  try {
    // 'wx': never reuse a file someone else put there. Created 0600 when we set the mode after.
    const fd = openSync(temporary, 'wx', mode === undefined ? 0o666 : 0o600);
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
      if (mode !== undefined) fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncFolder(folder);
}

/** Makes a rename in `folder` durable. */
function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    // Some file systems (certain network and FUSE mounts) cannot fsync a folder. The file itself
    // is complete and synced; only the rename's durability is then up to that file system.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw error;
  } finally {
    closeSync(fd);
  }
}
