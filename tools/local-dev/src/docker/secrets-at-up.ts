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
import { DockerError } from '../core/errors';
import { copyIntoContainer, type ArchiveEntry } from './archive';
import type { SecretCopy } from './shareability';

export interface SecretEntry {
  /** Path in the container, without the leading "/". */
  name: string;
  /** Clone-relative source. */
  source: string;
}

/** Pure: one archive entry per place each file lands; every target absolute and below "/". */
export function secretArchiveEntries(copies: readonly SecretCopy[]): SecretEntry[] {
  return copies.flatMap((copy) =>
    copy.to.map((target) => {
      const normalized = path.posix.normalize(target);
      if (!normalized.startsWith('/') || normalized === '/') throw new Error(`invariant broken: secret target ${target} is not an absolute file path`);
      return { name: normalized.slice(1), source: copy.file };
    }),
  );
}

/** Each secret's bytes and mode, owned by root as COPY without --chown makes them. */
function readEntries(entries: readonly SecretEntry[], clone: string): ArchiveEntry[] {
  return entries.map((entry) => {
    const file = path.join(clone, entry.source);
    const data = readFileSync(file);
    return { type: 'file', name: entry.name, mode: statSync(file).mode & 0o7777, uid: 0, gid: 0, data };
  });
}

/** Copies the secret files into the created (not yet started) container. */
export async function copySecretsIn(service: string, containerId: string, clone: string, copies: readonly SecretCopy[]): Promise<number> {
  const entries = secretArchiveEntries(copies);
  if (entries.length === 0) return 0;
  let files: ArchiveEntry[];
  try {
    files = readEntries(entries, clone);
  } catch (error) {
    throw new DockerError(`cannot read the secret files of ${service} in ${clone}: ${(error as Error).message}`, {
      fix: `run nx run ${service}:inject-config (it writes them), then run up again`,
      cause: error,
    });
  }
  await copyIntoContainer(containerId, files, {
    subject: service,
    keepOwners: false,
    goneFix: `run nx run ${service}:up again (the container was removed while up created it)`,
    timeoutMs: 60_000,
  });
  return entries.length;
}
