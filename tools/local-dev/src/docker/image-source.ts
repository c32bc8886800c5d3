/**
 * Where a service's image comes from when its local tag is missing: an image of this workspace with
 * the same content (same portable hash: another namespace, a rotated secret) is tagged; else the
 * team's registry (src/docker/registry.ts) is asked — present → pulled, its label checked against
 * the portable hash and its os/architecture against the engine's (a mismatch is refused: removed,
 * built instead, said), then relabelled as this workspace's; else the caller builds, and pushes in
 * the background when push is on and the image is shareable (a local-only image is never pushed).
 * A registry that is down or slow never fails or stalls the run: the service is built, that is said
 * once per run, and the rest of the run's services do not ask it again (the run record's notice).
 */
import { exec } from '../core/exec';
import { LABELS, registryReference, workspaceId } from '../core/naming';
import { firstTimeInRun, readProgress } from '../core/run-record';
import type { RegistrySettings } from '../config/registry';
import type { WorkspacePaths } from '../core/workspace';
import { imageReferences } from './queries';
import { lookUp, pull, pushInBackground } from './registry';
import type { ServiceImage } from './image';

export type { ImageOutcome } from '../core/run-record';

export const REGISTRY_UNREACHABLE_NOTICE = 'registry-unreachable';

/** The pulled image's portable-hash label and its os/architecture, in one look. */
async function pulledIdentity(image: string): Promise<{ label: string; platform: string }> {
  const format = `{{index .Config.Labels "${LABELS.portableHash}"}}\t{{.Os}}/{{.Architecture}}`;
  // Split before trimming: an image without the label prints nothing before the tab.
  const [label = '', platform = ''] = (await exec('docker', ['image', 'inspect', '--format', format, image], { timeoutMs: 15_000 })).stdout.split('\t');
  return { label: label.trim(), platform: platform.trim() };
}

/** Whether this run already found the registry unusable (said once, then not asked again: each look-up costs its timeout). */
export function registryDownThisRun(paths: WorkspacePaths): boolean {
  const progress = readProgress(paths);
  return progress?.state === 'running' && (progress.said ?? []).includes(REGISTRY_UNREACHABLE_NOTICE);
}

/** A new image of `from` with this workspace's labels, tagged with the local name (no layer is copied: ~0.2 s). */
async function relabel(from: string, target: ServiceImage, labels: Record<string, string>): Promise<void> {
  const args = ['build', '--quiet', '--tag', target.image, ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]), '-'];
  // The legacy builder takes FROM from the engine's own images: nothing is looked up in a registry.
  await exec('docker', args, { input: `FROM ${from}\n`, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 60_000, tailLines: 20 });
}

/** An image of this workspace with the same content under another tag: tagged as the one wanted. */
export async function adoptSameContent(target: ServiceImage, paths: WorkspacePaths): Promise<boolean> {
  const [found] = [...(await imageReferences([`${LABELS.portableHash}=${target.portableHash}`, `${LABELS.workspace}=${workspaceId(paths.root)}`]))];
  if (found === undefined || found.endsWith(':<none>')) return false;
  await exec('docker', ['tag', found, target.image], { timeoutMs: 15_000 });
  return true;
}

/** Pulls the image from the registry when it is there and genuine; false: build it. */
export async function pullFromRegistry(
  target: ServiceImage,
  registry: RegistrySettings,
  paths: WorkspacePaths,
  labels: Record<string, string>,
  log: (line: string) => void,
): Promise<boolean> {
  const service = target.sources.service;
  const ref = registryReference(registry.url, service, target.portableHash);
  if (registryDownThisRun(paths)) return false;
  const found = await lookUp(ref);
  if (found.state === 'unreachable') {
    if (await firstTimeInRun(paths.root, REGISTRY_UNREACHABLE_NOTICE)) {
      log(`registry ${registry.url} cannot be used (${found.reason}): building instead, for this whole run${found.fix ? ` — fix: ${found.fix}` : ''}`);
    }
    return false;
  }
  if (found.state === 'absent') return false;
  const pulled = await pull(ref);
  if (!pulled.pulled) {
    log(`${service}: could not pull ${ref} (${pulled.reason}); building instead`);
    return false;
  }
  const carried = await pulledIdentity(ref);
  const refusal =
    carried.label !== target.portableHash
      ? `its label ${LABELS.portableHash} is "${carried.label}", not ${target.portableHash}`
      : carried.platform !== target.platform
        ? `it is built for ${carried.platform}, and this engine runs ${target.platform}`
        : undefined;
  if (refusal !== undefined) {
    await exec('docker', ['image', 'rm', ref], { timeoutMs: 60_000 });
    log(`${service}: refused ${ref}: ${refusal} — removed it; building instead`);
    return false;
  }
  await relabel(ref, target, labels);
  // The registry's tag (with the builder's labels) is not this workspace's image: only ours stays.
  await exec('docker', ['image', 'rm', ref], { timeoutMs: 60_000 });
  log(`${service}: pulled ${ref} (label ${LABELS.portableHash} and ${carried.platform} checked) as ${target.image}`);
  return true;
}

/** After a build: push in the background when push is on and the image may leave this laptop. */
export async function pushBuilt(target: ServiceImage, registry: RegistrySettings, paths: WorkspacePaths, log: (line: string) => void): Promise<void> {
  const service = target.sources.service;
  if (!registry.push) return;
  if (!target.verdict.shareable) {
    log(`${service}: not pushed: its image is local-only (${target.verdict.reason})`);
    return;
  }
  const ref = registryReference(registry.url, service, target.portableHash);
  await exec('docker', ['tag', target.image, ref], { timeoutMs: 15_000 });
  pushInBackground(paths, ref, service);
  log(`${service}: pushing ${ref} in the background (logs/push/${service}.log)`);
}
