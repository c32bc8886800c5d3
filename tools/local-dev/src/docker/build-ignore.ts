/**
 * The Dockerfile-specific ignore files inject-config writes next to each Dockerfile copy
 * (`<Dockerfile>.dockerignore`, read by BuildKit instead of the repo's .dockerignore): the repo's
 * rules plus the injected secret files the build context would otherwise hold, so they never reach
 * an image that may be shared; `up` copies them into the container (src/docker/secrets-at-up.ts).
 * Written only where src/docker/shareability.ts says the Dockerfile is simple enough to know where
 * each file lands; otherwise nothing is written, and the service's image is local-only (said).
 *
 * `planBuildIgnores` is pure (the plan's files and the texts read from disk go in, planned files and
 * notes come out); `buildIgnoresFor` reads the Dockerfiles and the clone's .dockerignore for it.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkspaceModel } from '../config/model';
import { workspacePaths } from '../core/workspace';
import type { InjectionPlan, PlannedFile } from '../inject/plan';
import { dockerfileIgnoreFile, ignoreMatcher, readIgnorePatterns, repoIgnoreText } from './build-context';
import { BUILDER } from './client';
import { generatedIgnoreText, shareability } from './shareability';

export interface BuildIgnoreInput {
  /** The files planned so far (configs and Dockerfiles). */
  files: readonly PlannedFile[];
  /** Text of each planned Dockerfile, by dest. */
  dockerfileTexts: ReadonlyMap<string, string>;
  /** The build args of the services building with each Dockerfile dest. */
  buildArgs: ReadonlyMap<string, Record<string, string>>;
  /** The clone's own .dockerignore ('' when it has none). */
  repoIgnoreText: string;
}

export function planBuildIgnores(input: BuildIgnoreInput): { files: PlannedFile[]; notes: string[] } {
  const { excludes } = ignoreMatcher(readIgnorePatterns(input.repoIgnoreText));
  const secretsInContext = input.files.filter((file) => file.kind === 'config' && !excludes(file.dest)).map((file) => file.dest);
  const files: PlannedFile[] = [];
  const notes: string[] = [];
  for (const dockerfile of input.files.filter((file) => file.kind === 'dockerfile')) {
    const verdict = shareability({
      secretsInContext,
      dockerfileText: input.dockerfileTexts.get(dockerfile.dest) ?? '',
      buildArgs: input.buildArgs.get(dockerfile.dest) ?? {},
      builder: BUILDER,
      dockerfileInClone: true,
    });
    if (!verdict.shareable) {
      notes.push(`${dockerfile.dest}: its image stays on this laptop (local-only, never pushed): ${verdict.reason}`);
      continue;
    }
    if (verdict.exclude.length === 0) continue;
    files.push({
      dest: dockerfileIgnoreFile(dockerfile.dest),
      kind: 'build-ignore',
      origin: dockerfile.origin,
      source: { type: 'text', text: generatedIgnoreText(input.repoIgnoreText, verdict.exclude) },
      note: `keeps ${verdict.exclude.join(', ')} out of the image; up copies ${verdict.copies.length === 0 ? 'nothing in (the image never copies them)' : verdict.copies.map((copy) => `${copy.file} to ${copy.to.join(' and ')}`).join(', ')}`,
    });
  }
  return { files, notes };
}

/**
 * inject-config's `moreFiles`: the ignore files for a clone's services, read from the workspace and
 * the clone. A Dockerfile's build args are those of a service built from THIS clone: another repo's
 * service may use a Dockerfile of the same name with other args.
 */
export function buildIgnoresFor(
  model: Pick<WorkspaceModel, 'services'>,
  workspaceRoot: string,
): (plan: InjectionPlan, cloneRoot: string) => { files: PlannedFile[]; notes: string[] } {
  const cloned = workspacePaths(workspaceRoot).cloned;
  return (plan, cloneRoot) => {
    const ownServices = model.services.filter((service) => path.resolve(cloned, service.dir) === path.resolve(cloneRoot));
    const dockerfileTexts = new Map<string, string>();
    const buildArgs = new Map<string, Record<string, string>>();
    for (const file of plan.files) {
      if (file.kind !== 'dockerfile' || file.source.type !== 'file') continue;
      dockerfileTexts.set(file.dest, readFileSync(path.join(workspaceRoot, file.source.path), 'utf8'));
      const service = ownServices.find((candidate) => path.posix.basename(candidate.dockerfile) === file.dest);
      buildArgs.set(file.dest, service?.buildArgs ?? {});
    }
    return planBuildIgnores({ files: plan.files, dockerfileTexts, buildArgs, repoIgnoreText: repoIgnoreText(cloneRoot) });
  };
}
