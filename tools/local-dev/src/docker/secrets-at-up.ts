/**
 * The injected secret files a shareable image was built without (./shareability.ts), copied into
 * the service's container after `docker create` and before `docker start`, so the app finds them
 * where `COPY` would have put them, from its first instruction on. Through the engine's API
 * (`docker cp -` of a tar archive), so it works with a remote engine (DOCKER_HOST) too.
 *
 * Like COPY without --chown: owned by root, with the file's own mode (a 0600 secret stays 0600);
 * missing parent folders are made by the engine. `secretArchiveEntries` is pure.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { pack } from 'tar-stream';
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import type { SecretCopy } from './shareability';

export interface ArchiveEntry {
  /** Path in the container, without the leading "/". */
  name: string;
  /** Clone-relative source. */
  source: string;
}

/** Pure: one archive entry per place each file lands; every target absolute and below "/". */
export function secretArchiveEntries(copies: readonly SecretCopy[]): ArchiveEntry[] {
  return copies.flatMap((copy) =>
    copy.to.map((target) => {
      const normalized = path.posix.normalize(target);
      if (!normalized.startsWith('/') || normalized === '/') throw new Error(`invariant broken: secret target ${target} is not an absolute file path`);
      return { name: normalized.slice(1), source: copy.file };
    }),
  );
}

function archiveOf(entries: readonly ArchiveEntry[], clone: string): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
  for (const entry of entries) {
    const file = path.join(clone, entry.source);
    const data = readFileSync(file);
    archive.entry({ name: entry.name, type: 'file', mode: statSync(file).mode & 0o7777, uid: 0, gid: 0, size: data.length }, data);
  }
  archive.finalize();
  return done;
}

/** Copies the secret files into the created (not yet started) container. */
export async function copySecretsIn(service: string, containerId: string, clone: string, copies: readonly SecretCopy[]): Promise<number> {
  const entries = secretArchiveEntries(copies);
  if (entries.length === 0) return 0;
  let archive: Buffer;
  try {
    archive = await archiveOf(entries, clone);
  } catch (error) {
    throw new DockerError(`cannot read the secret files of ${service} in ${clone}: ${(error as Error).message}`, {
      fix: `run nx run ${service}:inject-config (it writes them), then run up again`,
      cause: error,
    });
  }
  try {
    await exec('docker', ['cp', '-', `${containerId}:/`], { input: archive, timeoutMs: 60_000, tailLines: 20 });
  } catch (error) {
    if (error instanceof ChildProcessError) {
      throw new DockerError(`docker could not copy the secret files of ${service} into its container:\n${error.outputTail}`, {
        fix: 'fix the problem named above, then run up again',
        cause: error,
      });
    }
    throw error;
  }
  return entries.length;
}
