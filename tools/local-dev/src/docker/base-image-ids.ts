/**
 * The ids of the images a Dockerfile starts FROM, for the portable hash: a RepoDigest when the
 * image came from a registry (the same on every laptop that pulled the same image), else the local
 * image id (an image built on this machine). A tag that moves (busybox:1.36 re-pulled) gives a new
 * id, so images built on the old base are not mistaken for the new.
 *
 * `pickBaseId` is pure; `baseImageIds` asks the engine (its socket when local, else the CLI).
 */
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import { engineMessage, engineRequest, localEngineSocket } from './engine';
import { QUERY_TIMEOUT_MS } from './queries';

/** A base image the engine lacks: pull it (before a build), or mark it missing (status: never pulls). */
export type MissingBase = 'pull' | 'mark';

export interface ImageIdentity {
  Id: string;
  RepoDigests?: string[] | null;
}

/** Pure: "busybox:1.36" → "busybox"; "reg:5000/a/b:t" → "reg:5000/a/b"; "x@sha256:…" → "x". */
export function repositoryOf(reference: string): string {
  const withoutDigest = reference.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** Pure: the digest of the reference's own repository when it has one, else any digest, else the id. */
export function pickBaseId(reference: string, image: ImageIdentity): string {
  const digests = image.RepoDigests ?? [];
  const repository = repositoryOf(reference);
  const own = digests.find((digest) => repositoryOf(digest) === repository || repositoryOf(digest) === `docker.io/library/${repository}`) ?? digests[0];
  return own === undefined ? image.Id : own.slice(own.indexOf('@') + 1);
}

async function inspectImage(reference: string): Promise<ImageIdentity | undefined> {
  const socket = localEngineSocket();
  if (socket) {
    const response = await engineRequest<ImageIdentity>(socket, 'GET', `/images/${encodeURIComponent(reference)}/json`, QUERY_TIMEOUT_MS);
    if (response.status === 404) return undefined;
    if (response.status !== 200 || response.body === undefined) {
      throw new DockerError(`cannot ask the Docker engine about base image ${reference}: ${engineMessage(response)}`);
    }
    return response.body;
  }
  try {
    const { stdout } = await exec('docker', ['image', 'inspect', '--format', '{{json .}}', reference], { timeoutMs: QUERY_TIMEOUT_MS });
    return JSON.parse(stdout) as ImageIdentity;
  } catch (error) {
    if (error instanceof ChildProcessError && /no such image/i.test(error.outputTail)) return undefined;
    throw error;
  }
}

async function pullBase(reference: string): Promise<void> {
  try {
    await exec('docker', ['pull', '--quiet', reference], { timeoutMs: 15 * 60_000, tailLines: 20 });
  } catch (error) {
    if (error instanceof ChildProcessError) {
      throw new DockerError(`the base image ${reference} (a FROM line of the Dockerfile) is not on this engine and could not be pulled:\n${error.outputTail}`, {
        fix: `check the image name in the Dockerfile's FROM line, or make ${reference} available (docker pull / docker login / docker load), then run again`,
        cause: error,
      });
    }
    throw error;
  }
}

/** reference → id, for every reference (ids of images still missing are "missing"). */
export async function baseImageIds(references: readonly string[], missingBase: MissingBase): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  await Promise.all(
    references.map(async (reference) => {
      let image = await inspectImage(reference);
      if (image === undefined && missingBase === 'pull') {
        await pullBase(reference);
        image = await inspectImage(reference);
      }
      ids[reference] = image === undefined ? 'missing' : pickBaseId(reference, image);
    }),
  );
  return ids;
}

const platforms = new Map<string, Promise<string>>();

/**
 * The engine's "os/arch" (linux/amd64), asked once per process and engine: part of the portable
 * hash (a multi-arch base has one digest for every architecture) and checked on a pulled image.
 */
export function enginePlatform(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const key = `${env.DOCKER_HOST ?? ''}|${env.DOCKER_CONTEXT ?? ''}`;
  let asked = platforms.get(key);
  if (!asked) {
    asked = askPlatform();
    platforms.set(key, asked);
    // A failure is not remembered: the next question asks again.
    asked.catch(() => platforms.delete(key));
  }
  return asked;
}

async function askPlatform(): Promise<string> {
  const socket = localEngineSocket();
  if (socket) {
    const response = await engineRequest<{ Os?: string; Arch?: string }>(socket, 'GET', '/version', QUERY_TIMEOUT_MS);
    if (response.status !== 200 || !response.body?.Os || !response.body.Arch) {
      throw new DockerError(`cannot ask the Docker engine for its platform: ${engineMessage(response)}`);
    }
    return `${response.body.Os}/${response.body.Arch}`;
  }
  try {
    return (await exec('docker', ['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'], { timeoutMs: QUERY_TIMEOUT_MS })).stdout.trim();
  } catch (error) {
    if (error instanceof ChildProcessError) throw new DockerError(`cannot ask the Docker engine for its platform:\n${error.outputTail}`, { cause: error });
    throw error;
  }
}
