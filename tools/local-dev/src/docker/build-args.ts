/**
 * The `docker build` command line for a service, as a pure function of its inputs: testable
 * without Docker, and the one place that decides how secrets reach BuildKit.
 */
import type { BuildClient } from './client';

export interface BuildSpec {
  image: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context (the clone). */
  context: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Secret ids; values are passed separately (environment or files), never here. */
  secrets: string[];
  /** When the client cannot read secrets from the environment: id → path of a 0600 temp file. */
  secretFiles?: Record<string, string>;
}

export interface BuildCommand {
  program: string;
  args: string[];
  /** Extra environment for the child (BuildKit switch; secret values are added by the runner). */
  env: Record<string, string>;
}

export function buildCommand(client: BuildClient, spec: BuildSpec): BuildCommand {
  const args = client.mode === 'buildx' ? ['buildx', 'build', '--load'] : ['build'];
  args.push('--progress=plain', '--file', spec.dockerfile, '--tag', spec.image);
  for (const [key, value] of Object.entries(spec.labels).sort()) args.push('--label', `${key}=${value}`);
  for (const [key, value] of Object.entries(spec.buildArgs).sort()) args.push('--build-arg', `${key}=${value}`);
  for (const id of spec.secrets) {
    const file = spec.secretFiles?.[id];
    args.push('--secret', file === undefined ? `id=${id},env=${id}` : `id=${id},src=${file}`);
  }
  args.push(spec.context);
  return { program: client.program, args, env: client.mode === 'buildkit-env' ? { DOCKER_BUILDKIT: '1' } : {} };
}
