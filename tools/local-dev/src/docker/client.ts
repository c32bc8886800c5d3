/**
 * Which docker programs local-dev uses.
 *
 * Plain commands (inspect, ps, rm, logs) use the first `docker` on PATH. Builds need a client that
 * can pass BuildKit secrets: `docker buildx build`, or a pre-23 client whose built-in BuildKit is
 * switched on with DOCKER_BUILDKIT=1 (Debian's 20.10). A 23+ client without the buildx plugin can
 * do neither, so every `docker` on PATH is tried. Decisions are cached per environment that decides
 * them (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, PATH), so a changed engine or PATH is detected
 * again instead of being answered from another engine's cache.
 * The parsing and choosing are pure; `detect*` are the thin layer that spawns.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import type { Builder } from './build-context';

export type BuildMode = 'buildx' | 'buildkit-env';

/**
 * The builder every BuildMode runs: BuildKit (buildx, or the 20.10 client's DOCKER_BUILDKIT=1); the
 * legacy builder is never chosen. It reads `<Dockerfile>.dockerignore` (./build-context.ts).
 */
export const BUILDER: Builder = 'buildkit';

export interface BuildClient {
  /** Absolute path of the docker program. */
  program: string;
  version: string;
  mode: BuildMode;
  /** `--secret id=X,env=X` works (20.10+); otherwise secrets go through a 0600 temp file. */
  secretFromEnv: boolean;
}

export type ComposeCommand = { program: string; prefix: string[]; version: string; v1: boolean };

/** "20.10.24+dfsg1" → [20, 10, 24]; unparsable parts become 0. */
export function parseVersion(text: string): [number, number, number] {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return [0, 0, 0];
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

export function atLeast(version: string, major: number, minor: number): boolean {
  const [actualMajor, actualMinor] = parseVersion(version);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

/**
 * Pure decision for one candidate. From 23.0 the classic `docker build` hands BuildKit builds to
 * buildx, so without buildx only an older client (18.09–22.x) builds with DOCKER_BUILDKIT=1.
 */
export function chooseBuildMode(candidate: { buildx: boolean; version: string }): BuildMode | undefined {
  if (candidate.buildx) return 'buildx';
  if (atLeast(candidate.version, 18, 9) && !atLeast(candidate.version, 23, 0)) return 'buildkit-env';
  return undefined;
}

/** Every distinct `docker` executable on PATH, in PATH order (symlinks to one file count once). */
export function dockerCandidates(pathVariable: string | undefined, program = 'docker'): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  for (const folder of (pathVariable ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(folder, program);
    let real: string;
    try {
      accessSync(candidate, constants.X_OK);
      real = realpathSync(candidate);
    } catch {
      // Not in this PATH folder (or not executable): keep looking in the next one.
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    found.push(candidate);
  }
  return found;
}

/** Parses `docker compose version --short` / `docker-compose version --short` output. */
export function parseComposeVersion(output: string): string | undefined {
  const match = /v?(\d+\.\d+(?:\.\d+)?)/.exec(output.trim());
  return match?.[1];
}

/** How long a version query may take: generous, since docker-compose v1 alone takes ~1 s to start. */
const DETECTION_TIMEOUT_MS = 30_000;

async function succeeds(program: string, args: string[], env?: Record<string, string>, timeoutMs = DETECTION_TIMEOUT_MS): Promise<string | undefined> {
  try {
    return (await exec(program, args, { env, timeoutMs })).stdout;
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    // A program that is there but does not answer (a loaded machine, a hung engine) is no reason to
    // say it is not installed: report the hang as what it is.
    if (error.signal?.startsWith('timeout')) {
      throw new DockerError(`\`${[program, ...args].join(' ')}\` did not answer within ${timeoutMs / 1000} s`, {
        fix: 'check that Docker answers (`docker version`), then run again; a very loaded machine can be this slow',
        cause: error,
      });
    }
    // A candidate that cannot do this is simply not chosen; the caller reports if none can.
    return undefined;
  }
}

/** Pure: the part of the environment that decides which docker client and compose are used. */
export function detectionKey(environment: Record<string, string | undefined>): string {
  return JSON.stringify(['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'PATH'].map((name) => environment[name] ?? null));
}

/**
 * Remembers a detection per environment key. A failed detection is forgotten, so installing the
 * missing program and retrying in the same process works.
 */
function cachedPerEnvironment<T>(detect: () => Promise<T>): () => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return () => {
    const key = detectionKey(process.env);
    let found = cache.get(key);
    if (!found) {
      found = detect();
      cache.set(key, found);
      found.catch(() => cache.delete(key));
    }
    return found;
  };
}

/** The docker client that builds with secrets, detected once per environment (PATH, DOCKER_HOST, …). */
export const detectBuildClient: () => Promise<BuildClient> = cachedPerEnvironment(() => findBuildClient(dockerCandidates(process.env.PATH)));

export async function findBuildClient(candidates: string[]): Promise<BuildClient> {
  const rejected: string[] = [];
  for (const program of candidates) {
    const buildx = (await succeeds(program, ['buildx', 'version'])) !== undefined;
    // --format on the client part only: works even while the engine is unreachable.
    const version = (await succeeds(program, ['version', '--format', '{{.Client.Version}}'])) ?? (await succeeds(program, ['--version'])) ?? '';
    const mode = chooseBuildMode({ buildx, version });
    if (mode) return { program, version: parseVersion(version).join('.'), mode, secretFromEnv: mode === 'buildx' || atLeast(version, 20, 10) };
    rejected.push(`${program} (${version.trim() || 'version unknown'}, no buildx)`);
  }
  throw new DockerError(
    candidates.length === 0 ? 'no docker client on PATH' : `no docker client on PATH can build with BuildKit secrets: ${rejected.join('; ')}`,
    { fix: 'install the buildx plugin (e.g. apt-get install docker-buildx, or Docker Desktop), or put a 20.10–22.x docker client on PATH' },
  );
}

/** `docker compose` (v2) when the plugin exists, else `docker-compose` (v1); detected once per environment. */
export const detectCompose: () => Promise<ComposeCommand> = cachedPerEnvironment(() => findCompose());

export async function findCompose(timeoutMs = DETECTION_TIMEOUT_MS): Promise<ComposeCommand> {
  const v2 = await succeeds('docker', ['compose', 'version', '--short'], undefined, timeoutMs);
  if (v2 !== undefined) return { program: 'docker', prefix: ['compose'], version: parseComposeVersion(v2) ?? v2, v1: false };
  const v1 = await succeeds('docker-compose', ['version', '--short'], undefined, timeoutMs);
  if (v1 !== undefined) return { program: 'docker-compose', prefix: [], version: parseComposeVersion(v1) ?? v1, v1: true };
  throw new DockerError('neither `docker compose` (v2) nor `docker-compose` (v1) is installed', {
    fix: 'install the compose plugin (apt-get install docker-compose-plugin) or docker-compose',
  });
}
