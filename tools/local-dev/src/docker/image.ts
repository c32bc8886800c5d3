/**
 * A service's image: which one the current inputs call for, whether it exists, and building it.
 *
 * `ensureImage` is what build-image and up both run: compute the input hash, `docker image
 * inspect` the image of that hash, and build only when it is missing — so a no-op run starts no
 * `docker build` at all, and a deleted image is simply built again.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ServiceModel } from '../config/model';
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import type { ServiceRunContext } from '../config/run-context';
import { buildCommand } from './build-args';
import { withBuildSlot } from './build-slots';
import { detectBuildClient } from './client';
import {
  contextContent,
  hashFileOrAbsent,
  localImageHash,
  portableInputHash,
  readCloneState,
  sha256,
  type CloneState,
  type SecretPlacement,
  type SourceInputs,
} from './input-hash';
import { baseImageIds, enginePlatform, type MissingBase } from './base-image-ids';
import { baseImageReferences } from './dockerfile-copies';
import { contextFiles, dockerfileIgnoreFile, ignoreFileInEffect, ignoreMatcher, readIgnorePatterns, repoIgnoreText } from './build-context';
import { BUILDER } from './client';
import { buildVerdict, shareability, type SecretCopy, type Verdict } from './shareability';
import { effectiveRegistry } from '../config/registry';
import { adoptSameContent, pullFromRegistry, pushBuilt, type ImageOutcome } from './image-source';
import { imageLabels, imageName, workspaceId } from '../core/naming';
import { imageExists } from './queries';
import { readEnvLocal, resolveBuildSecrets } from './secrets';
import { injectedFiles, injectedSecretFiles } from './injected';

/** The repository itself never counts as context content: the commit's tree stands for it. */
const GIT_FOLDER: ReadonlySet<string> = new Set(['.git']);

export interface ServiceSources {
  sources: SourceInputs;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context (the clone). */
  context: string;
}

export interface ServiceImage extends ServiceSources {
  /** The local tag: `local-dev/<service>:<local hash>` (workspace-scoped). */
  image: string;
  /** The local hash (the tag's). */
  inputHash: string;
  /** The hash that names the content anywhere (label io.local-dev.portable-hash, the registry tag). */
  portableHash: string;
  baseImages: Record<string, string>;
  /** The engine's os/architecture the image is built for ("linux/amd64"); a pulled image must match it. */
  platform: string;
  /** Whether the image can leave this laptop, decided from the build context before the build (./shareability.ts). */
  verdict: Verdict;
  secretPlacement: SecretPlacement;
}

/**
 * The Dockerfile a service builds with: the copy inject-config put in the clone, else the
 * namespace override repos_docker_files/<ns>/<file>, else repos_docker_files/<file>.
 */
export function resolveDockerfile(run: ServiceRunContext): string {
  const candidates = [
    path.join(run.paths.cloned, run.service.dir, path.basename(run.service.dockerfile)),
    path.join(run.paths.dockerfiles, run.namespace, run.service.dockerfile),
    path.join(run.paths.dockerfiles, run.service.dockerfile),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new DockerError(`no Dockerfile for ${run.service.name}: looked for ${candidates.map((c) => path.relative(run.paths.root, c)).join(', ')}`, {
      fix: `add repos_docker_files/${run.service.dockerfile} (or set "dockerfile:" for ${run.service.name} in repos_docker_files/config.yaml)`,
    });
  }
  return found;
}

/**
 * Every file input of the service's image, without asking the engine: Nx hashes build-image with
 * its sourceHash. `readClone` reads a clone's state: build-image's hasher passes one that reads each
 * clone once per hashing round, for a service and its workers.
 */
export async function serviceSources(run: ServiceRunContext, readClone: (cloneDir: string) => Promise<CloneState> = readCloneState): Promise<ServiceSources> {
  const context = path.join(run.paths.cloned, run.service.dir);
  const dockerfile = resolveDockerfile(run);
  // What the build really sends: the ignore file in effect decides, for the clone's files and the injected ones alike.
  const ignoreText = ignoreFileInEffect(context, dockerfile, BUILDER).text;
  const { excludes } = ignoreMatcher(readIgnorePatterns(ignoreText));
  const secretFiles = new Set(injectedSecretFiles(run));
  const allInjected = injectedFiles(run);
  const injected: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const file of allInjected) {
    if (secretFiles.has(file)) secrets[file] = hashFileOrAbsent(path.join(context, file));
    // An IDE config the ignore file excludes (the demo's launch.json: namespace, debugger port) never reaches the image.
    else if (!excludes(file)) injected[file] = hashFileOrAbsent(path.join(context, file));
  }
  for (const file of secretFiles) secrets[file] ??= hashFileOrAbsent(path.join(context, file));
  const sent = contextFiles(context, ignoreText, GIT_FOLDER);
  const sources: SourceInputs = {
    service: run.service.name,
    workspace: workspaceId(run.paths.root),
    namespace: run.namespace,
    clone: contextContent(context, await readClone(context), sent, new Set([...allInjected, ...secretFiles])),
    dockerfile: readFileSync(dockerfile, 'utf8'),
    injected,
    secrets,
    buildArgs: run.service.buildArgs,
  };
  return { sources, dockerfile, context };
}

/**
 * The image the service's current inputs call for. `missingBase`: a base image the engine does not
 * have yet is pulled (build-image, up: the build needs it anyway, and its id must be known before
 * the build so the hash does not change after it), or only marked missing (status: never pulls).
 */
export async function serviceImage(
  run: ServiceRunContext,
  readClone: (cloneDir: string) => Promise<CloneState> = readCloneState,
  missingBase: MissingBase = 'mark',
): Promise<ServiceImage> {
  const found = await serviceSources(run, readClone);
  const references = baseImageReferences(found.sources.dockerfile, run.service.buildArgs);
  const [baseImages, platform] = await Promise.all([baseImageIds(references, missingBase), enginePlatform()]);
  const verdict = contextVerdict(found, run.service.buildArgs);
  const secretPlacement: SecretPlacement = verdict.shareable ? 'kept-out' : 'in-image';
  const portableHash = portableInputHash({ sources: found.sources, baseImages, platform, secretPlacement });
  const inputHash = localImageHash(portableHash, found.sources);
  return { ...found, image: imageName(run.service.name, inputHash), inputHash, portableHash, baseImages, platform, verdict, secretPlacement };
}

/**
 * The service's verdict from its build context: which secret files the context holds under the
 * repo's own .dockerignore (what the image held before), and which it really sends now, with the
 * ignore file in effect (the generated `<Dockerfile>.dockerignore` when inject-config wrote it).
 */
function contextVerdict({ sources, dockerfile, context }: ServiceSources, buildArgs: Record<string, string>): Verdict {
  const present = Object.entries(sources.secrets)
    .filter(([, hash]) => hash !== 'absent')
    .map(([file]) => file);
  const sentUnder = (ignoreText: string) => {
    const { excludes } = ignoreMatcher(readIgnorePatterns(ignoreText));
    return present.filter((file) => !excludes(file));
  };
  const planned = shareability({
    secretsInContext: sentUnder(repoIgnoreText(context)),
    dockerfileText: sources.dockerfile,
    buildArgs,
    builder: BUILDER,
    dockerfileInClone: path.dirname(dockerfile) === context,
  });
  return buildVerdict(planned, sentUnder(ignoreFileInEffect(context, dockerfile, BUILDER).text), dockerfileIgnoreFile(path.basename(dockerfile)));
}

export type EnsureResult = {
  image: string;
  built: boolean;
  outcome: ImageOutcome;
  /** The secret files `up` copies into the container (the image was built without them). */
  secretCopies: SecretCopy[];
  target: ServiceImage;
};

/**
 * The service's image for its current inputs: present (the local tag, or this workspace's image of
 * the same content), else pulled from the team's registry, else built (then pushed in the
 * background when push is on and the image is shareable). See ./image-source.ts.
 */
export async function ensureImage(run: ServiceRunContext, log: (line: string) => void): Promise<EnsureResult> {
  const target = await serviceImage(run, readCloneState, 'pull');
  const result = (outcome: ImageOutcome): EnsureResult => ({
    image: target.image,
    built: outcome === 'built',
    outcome,
    secretCopies: secretCopiesOf(target),
    target,
  });
  if ((await imageExists(target.image)) || (await adoptSameContent(target, run.paths))) {
    log(`${run.service.name}: image ${target.image} is up to date — nothing to build (present)`);
    return result('present');
  }
  const labels = imageLabels(run.paths.root, run.service.name, target.inputHash, target.portableHash);
  const registry = effectiveRegistry(run.model.registry, process.env);
  if (registry && target.verdict.shareable && (await pullFromRegistry(target, registry, run.paths, labels, log))) return result('pulled');
  // Secrets are checked before anything is built, naming every service that needs them.
  const secrets = resolveBuildSecrets(run.service.buildSecrets, { environment: process.env, envLocal: readEnvLocal(run.paths.root) }, run.model);
  log(
    `${run.service.name}: building ${target.image} from ${path.relative(run.paths.root, target.context)} with ${path.relative(run.paths.root, target.dockerfile)}`,
  );
  await withBuildSlot(
    run.paths,
    `build ${run.service.name}`,
    (line) => log(`${run.service.name}: ${line}`),
    () => runBuild(run.service, target, secrets, run.paths.root, log),
  );
  log(`${run.service.name}: built ${target.image}`);
  if (registry) await pushBuilt(target, registry, run.paths, log);
  return result('built');
}

function secretCopiesOf(target: ServiceImage): SecretCopy[] {
  return target.verdict.shareable ? target.verdict.copies : [];
}

async function runBuild(
  service: ServiceModel,
  target: ServiceImage,
  secrets: Record<string, string>,
  workspaceRoot: string,
  log: (line: string) => void,
): Promise<void> {
  const client = await detectBuildClient();
  let secretFolder: string | undefined;
  let secretFiles: Record<string, string> | undefined;
  if (!client.secretFromEnv && service.buildSecrets.length > 0) {
    secretFolder = mkdtempSync(path.join(tmpdir(), 'local-dev-secrets-'));
    chmodSync(secretFolder, 0o700);
    secretFiles = {};
    for (const [id, value] of Object.entries(secrets)) {
      const file = path.join(secretFolder, sha256(id).slice(0, 8));
      writeFileSync(file, value, { mode: 0o600 });
      secretFiles[id] = file;
    }
  }
  const command = buildCommand(client, {
    image: target.image,
    dockerfile: target.dockerfile,
    context: target.context,
    buildArgs: service.buildArgs,
    labels: imageLabels(workspaceRoot, service.name, target.inputHash, target.portableHash),
    secrets: service.buildSecrets,
    secretFiles,
  });
  try {
    await exec(command.program, command.args, {
      env: { ...command.env, ...(secretFiles ? {} : secrets) },
      onOutput: (chunk) => {
        const lines = chunk.split(/\r?\n/).filter((line) => line.trim() !== '');
        if (lines.length > 0) log(lines.map((line) => `${service.name} | ${line}`).join('\n'));
      },
      tailLines: 30,
    });
  } catch (error) {
    if (error instanceof ChildProcessError) {
      throw new DockerError(`building ${service.name} (${target.image}) failed:\n${error.outputTail}`, {
        fix: `fix the build error above in ${path.relative(workspaceRoot, target.dockerfile)} or the code in ${path.relative(workspaceRoot, target.context)}, then run again`,
        cause: error,
      });
    }
    throw error;
  } finally {
    if (secretFolder) rmSync(secretFolder, { recursive: true, force: true });
  }
}
