/**
 * Files into a container through the engine's API: one tar archive piped to `docker cp - <id>:/`.
 * Works the same on a remote engine (DOCKER_HOST), where a bind mount of a laptop path cannot.
 * Used by live code's sync (live/sync.ts) and by up's secrets copied in at create (secrets-at-up.ts).
 *
 * Each entry is named from "/" (no leading "/"); folders come first, so each exists before its
 * files. `keepOwners` is `docker cp -a`: the owners the archive names (none here, so the
 * container's user) instead of root.
 */
import { pack, type Header } from 'tar-stream';
import { ChildProcessError, DockerError } from '../core/errors';
import { exec } from '../core/exec';
import { ENGINE_DOWN_FIX, engineUnreachableError, isEngineUnreachable } from './cli';

export type ArchiveEntry = { name: string; mode: number; mtime?: Date; uid?: number; gid?: number } & ({ type: 'directory' } | { type: 'file'; data: Buffer });

/** Who the copy is for, in its errors: the subject ("api") and the fix when the container is gone. */
export interface CopyIntoOptions {
  subject: string;
  keepOwners: boolean;
  /** What to do when the container is gone or stopped. */
  goneFix: string;
  timeoutMs: number;
}

/** Pure-ish: the archive of `entries` (folders first), as bytes. */
export function tarOf(entries: readonly ArchiveEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
  const ordered = [...entries.filter((entry) => entry.type === 'directory'), ...entries.filter((entry) => entry.type === 'file')];
  for (const entry of ordered) {
    const header: Partial<Header> & Pick<Header, 'name'> = {
      name: entry.type === 'directory' ? `${entry.name}/` : entry.name,
      type: entry.type,
      mode: entry.mode,
    };
    if (entry.mtime !== undefined) header.mtime = entry.mtime;
    if (entry.uid !== undefined) header.uid = entry.uid;
    if (entry.gid !== undefined) header.gid = entry.gid;
    if (entry.type === 'file') archive.entry({ ...header, size: entry.data.length }, entry.data);
    else archive.entry(header);
  }
  archive.finalize();
  return done;
}

/** Copies `entries` into the container in one `docker cp`; its failures each said in one sentence with the fix (containerCallError). */
export async function copyIntoContainer(containerId: string, entries: readonly ArchiveEntry[], options: CopyIntoOptions): Promise<void> {
  if (entries.length === 0) return;
  const args = ['cp', ...(options.keepOwners ? ['-a'] : []), '-', `${containerId}:/`];
  try {
    await exec('docker', args, { input: await tarOf(entries), timeoutMs: options.timeoutMs, tailLines: 20 });
  } catch (error) {
    throw containerCallError(error, args[0], containerId, options);
  }
}

/**
 * A failed docker call on a container, in one sentence with the fix: the engine does not answer;
 * the container is gone or stopped (`docker cp` says so as its destination "/" not being a
 * directory); anything else with docker's last line. Errors that are not docker's pass unchanged.
 */
export function containerCallError(error: unknown, verb: string, containerId: string, options: Pick<CopyIntoOptions, 'subject' | 'goneFix'>): unknown {
  if (!(error instanceof ChildProcessError)) return error;
  if (isEngineUnreachable(error)) return engineUnreachableError(error);
  if (/no such container|is not running|destination ".*:\/" must be a directory/i.test(error.outputTail)) {
    return new DockerError(`${options.subject}: its container ${containerId.slice(0, 12)} is gone or stopped, so nothing was copied into it`, {
      fix: options.goneFix,
      cause: error,
    });
  }
  return new DockerError(`${options.subject}: \`docker ${verb}\` into its container failed: ${error.outputTail.split('\n').pop() || error.message}`, {
    fix: `check the container (nx run ${options.subject}:logs); if the engine is the problem: ${ENGINE_DOWN_FIX}`,
    cause: error,
  });
}
