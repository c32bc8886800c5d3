/**
 * doctor's part of issue 24 (the team's image registry): when a registry is configured (config.yaml
 * `registry:` or LOCAL_DEV_REGISTRY), the registry's own checks (docker/registry.ts: reachable,
 * credentials, push allowed when push is on, pushes that failed in the background), and the
 * services whose images cannot be shared, with why and what would make them shareable. The verdict
 * is build-image's own (docker/image.ts serviceImage → docker/shareability.ts), never decided here.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { serviceRunContext } from '../config/run-context';
import { effectiveRegistry, REGISTRY_ENV, type RegistrySettings } from '../config/registry';
import { isLocalDevError } from '../core/errors';
import { serviceImage } from '../docker/image';
import { readCloneState } from '../docker/input-hash';
import { registryChecks } from '../docker/registry';
import type { Verdict } from '../docker/shareability';
import type { Check, DoctorRequest } from './doctor';
import { mapLimit } from './gather';

/** What doctor learnt about one service's image: its verdict, not cloned yet, or why it could not tell. */
export type ImageShareability =
  { service: string; verdict: Verdict } | { service: string; notCloned: true } | { service: string; unknown: string; fix?: string };

// Each reason docker/shareability.ts and docker/dockerfile-copies.ts give, and what makes the image shareable.
const FIXES: { when: RegExp; fix: (service: string) => string }[] = [
  { when: /missing or out of date/, fix: (service) => `\`nx run ${service}:inject-config\` writes the ignore file again` },
  { when: /legacy builder/, fix: () => 'build with BuildKit (it reads the Dockerfile-specific ignore file local-dev writes)' },
  { when: /not inject-config's copy/, fix: (service) => `\`nx run ${service}:inject-config\` puts the dev Dockerfile in the clone` },
  { when: /ADD copies/, fix: () => 'copy it with COPY instead of ADD' },
  { when: /wildcard source/, fix: () => 'name the files or folders that COPY takes instead of a wildcard' },
  { when: /is a variable/, fix: () => 'write the path in that line out instead of a variable' },
  { when: /no WORKDIR/, fix: () => 'copy to an absolute path, or set WORKDIR before that line' },
  { when: /build stage/, fix: () => 'copy the secret file only in the final stage (a build stage must not need it)' },
];

/** Pure: what to do so a local-only image can be shared; always offers the .dockerignore way out too. */
export function localOnlyFix(service: string, reason: string): string {
  const specific = FIXES.find(({ when }) => when.test(reason))?.fix(service);
  const ignore = "list the secret file in the repo's .dockerignore if the image does not need it";
  return specific ? `${specific}; or ${ignore}` : ignore;
}

/** Pure: doctor's lines about which images can leave this laptop — one warning per local-only image, one line for the rest. */
export function shareabilityChecks(images: readonly ImageShareability[]): Check[] {
  const checks: Check[] = [];
  const shareable: string[] = [];
  const notCloned: string[] = [];
  for (const image of images) {
    if ('notCloned' in image) notCloned.push(image.service);
    else if ('unknown' in image)
      checks.push({ name: `image of ${image.service}`, result: 'warn', detail: `cannot tell whether it can be shared: ${image.unknown}`, fix: image.fix });
    else if (image.verdict.shareable) shareable.push(image.service);
    else
      checks.push({
        name: `image of ${image.service}`,
        result: 'warn',
        detail: `stays on this laptop (never pushed or pulled, always built here): ${image.verdict.reason}`,
        fix: localOnlyFix(image.service, image.verdict.reason),
      });
  }
  const parts = [
    ...(shareable.length > 0 ? [`can be shared: ${shareable.join(', ')}`] : []),
    ...(notCloned.length > 0 ? [`not cloned yet (decided at the first build): ${notCloned.join(', ')}`] : []),
  ];
  if (parts.length > 0 || checks.length === 0) checks.unshift({ name: 'shareable images', result: 'ok', detail: parts.join('; ') || 'no service chosen' });
  return checks;
}

/** Pure: the line doctor shows when no registry is configured. */
export const NO_REGISTRY_CHECK: Check = {
  name: 'registry',
  result: 'ok',
  detail: `none configured: every image is built on this laptop (docs/registry.md: registry: in config.yaml, or ${REGISTRY_ENV})`,
};

/** The registry checks and the shareability of the chosen services' images; one line when no registry is configured. */
export async function registryDoctorChecks(request: DoctorRequest): Promise<Check[]> {
  const settings: RegistrySettings | undefined = effectiveRegistry(request.model.registry, request.environment);
  if (!settings) return [NO_REGISTRY_CHECK];
  const [registry, images] = await Promise.all([
    registryChecks(settings, { paths: request.paths, probeService: request.services[0]?.name, env: request.environment }),
    mapLimit(request.services, 2, (service) => imageShareability(request, service.name)),
  ]);
  return [...registry, ...shareabilityChecks(images)];
}

async function imageShareability(request: DoctorRequest, serviceName: string): Promise<ImageShareability> {
  const run = serviceRunContext({ paths: request.paths, model: request.model, namespace: request.namespace, refresh: false }, serviceName);
  if (!existsSync(path.join(request.paths.cloned, run.service.dir, '.git'))) return { service: serviceName, notCloned: true };
  try {
    // 'mark': doctor never pulls a base image; the verdict does not depend on it.
    const { verdict } = await serviceImage(run, readCloneState, 'mark');
    return { service: serviceName, verdict };
  } catch (error) {
    if (isLocalDevError(error)) return { service: serviceName, unknown: error.message, fix: error.fix };
    throw error;
  }
}
