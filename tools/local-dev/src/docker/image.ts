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
import { combineInputHash, hashFileOrAbsent, readCloneState, sha256, type CloneState } from './input-hash';
import { imageLabels, imageName, workspaceId } from '../core/naming';
import { imageExists } from './queries';
import { readEnvLocal, resolveBuildSecrets } from './secrets';
import { injectedFiles } from './injected';

export interface ServiceImage {
  image: string;
  inputHash: string;
  dockerfile: string;
  context: string;
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
 * The image the service's current inputs call for. `readClone` reads a clone's state: build-image's
 * hasher passes one that reads each clone once per hashing round, for a service and its workers.
 */
export async function serviceImage(run: ServiceRunContext, readClone: (cloneDir: string) => Promise<CloneState> = readCloneState): Promise<ServiceImage> {
  const context = path.join(run.paths.cloned, run.service.dir);
  const dockerfile = resolveDockerfile(run);
  const injected: Record<string, string> = {};
  for (const file of injectedFiles(run)) injected[file] = hashFileOrAbsent(path.join(context, file));
  const inputHash = combineInputHash({
    service: run.service.name,
    workspace: workspaceId(run.paths.root),
    namespace: run.namespace,
    clone: await readClone(context),
    dockerfile: readFileSync(dockerfile, 'utf8'),
    injected,
    buildArgs: run.service.buildArgs,
  });
  return { image: imageName(run.service.name, inputHash), inputHash, dockerfile, context };
}

export type EnsureResult = { image: string; built: boolean };

/** Builds the service's image unless the image for the current input hash already exists. */
export async function ensureImage(run: ServiceRunContext, log: (line: string) => void): Promise<EnsureResult> {
  const target = await serviceImage(run);
  if (await imageExists(target.image)) {
    log(`${run.service.name}: image ${target.image} is up to date — nothing to build`);
    return { image: target.image, built: false };
  }
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
  return { image: target.image, built: true };
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
    labels: imageLabels(workspaceRoot, service.name, target.inputHash),
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
