/**
 * The build record: logs/images/<service>.json names the image build-image settled on for the
 * service's current inputs. It is build-image's Nx output, so a cache hit restores the record of the
 * hash that hit, and `up` is hashed with it (src/plugin/infer.ts): up misses the cache exactly when
 * the image changes, without fingerprinting the clone a second time.
 *
 * Only what identifies the image goes in (no time, no "built, pulled or present": that is the run's,
 * src/core/run-record.ts), so the same image always gives the same bytes and the same up hash; its
 * shareability verdict is a fact of the image's inputs, so it goes in too.
 */
import * as path from 'node:path';
import { writeFileAtomically } from '../core/atomic-write';
import { readJsonIfExists } from '../core/read-if-exists';
import type { WorkspacePaths } from '../core/workspace';
import { makePrivateDir } from '../core/private-dir';

export interface BuildRecord {
  service: string;
  image: string;
  /** The hash naming the image's content anywhere (its label io.local-dev.portable-hash). */
  portableHash?: string;
  /** Whether the image may leave this laptop (src/docker/shareability.ts); decided before the build. */
  shareable?: boolean;
  /** Why not, when it may not. */
  localOnly?: string;
}

export function buildRecordPath(paths: WorkspacePaths, service: string): string {
  return path.join(paths.logs, 'images', `${service}.json`);
}

export function writeBuildRecord(paths: WorkspacePaths, record: BuildRecord): void {
  const file = buildRecordPath(paths, record.service);
  makePrivateDir(path.dirname(file), paths.logs);
  const { service, image, portableHash, shareable, localOnly } = record;
  writeFileAtomically(file, `${JSON.stringify({ service, image, portableHash, shareable, localOnly }, null, 2)}\n`);
}

/** The image the record names, or undefined when there is no record (build-image has not run) or it is torn. */
export function readBuildRecordImage(paths: WorkspacePaths, service: string): string | undefined {
  const image = readJsonIfExists<Partial<BuildRecord>>(buildRecordPath(paths, service))?.image;
  return typeof image === 'string' ? image : undefined;
}
