/**
 * The Docker Engine API over the local socket, for the calls `up` and `up`'s hasher make on
 * every run: list a workspace's containers, inspect one, start one, look an image up.
 *
 * Why not the `docker` CLI for these: each CLI call is a process (a Go binary that loads its config
 * and context) costing 50–100 ms of CPU, more on a busy laptop; `up` made about six per service, so
 * starting a stack spent seconds in CLI start-up alone. The same question over the unix socket is
 * one HTTP request (about a millisecond). The CLI stays where it is the only way or where its
 * behaviour is the contract: builds (BuildKit secrets), `docker run` of a compose entry, networks.
 *
 * Used only when the engine is the plain local one the CLI would use too: no DOCKER_CONTEXT, no
 * current context other than "default" in the CLI's config, and DOCKER_HOST unset or unix://.
 * Anything else (a remote engine, Docker Desktop contexts, TLS) returns undefined from
 * `localEngineSocket`, and the callers ask the CLI, which knows how to reach it.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerError } from '../core/errors';
import { detectionKey } from './client';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * Pure: the socket to talk to, or undefined when the CLI must decide (see above).
 * `currentContext`: the CLI config's currentContext (undefined when it has none).
 */
export function chooseEngineSocket(env: Record<string, string | undefined>, currentContext: string | undefined): string | undefined {
  if (env.DOCKER_CONTEXT !== undefined && env.DOCKER_CONTEXT !== '' && env.DOCKER_CONTEXT !== 'default') return undefined;
  const host = env.DOCKER_HOST;
  if (host !== undefined && host !== '') return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  if (currentContext !== undefined && currentContext !== '' && currentContext !== 'default') return undefined;
  return DEFAULT_SOCKET;
}

/** The CLI config's currentContext, where the CLI reads it (DOCKER_CONFIG or ~/.docker). */
function currentContext(env: Record<string, string | undefined>): string | undefined {
  const file = path.join(env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'config.json');
  try {
    const context = (JSON.parse(readFileSync(file, 'utf8')) as { currentContext?: unknown }).currentContext;
    return typeof context === 'string' ? context : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A config the CLI itself may not read either: let the CLI answer (and complain).
    return 'unreadable config';
  }
}

/** Chosen once per environment (the key the docker client detection uses): `up` asks this on every request, health polls included. */
const chosen = new Map<string, string | undefined>();

export function localEngineSocket(env: Record<string, string | undefined> = process.env): string | undefined {
  const key = detectionKey(env);
  if (!chosen.has(key)) chosen.set(key, chooseEngineSocket(env, currentContext(env)));
  return chosen.get(key);
}

export interface EngineResponse<T> {
  status: number;
  body: T | undefined;
}

/** One API request; resolves with the status and the parsed JSON body (none for 204/304), rejects with DockerError. */
export function engineRequest<T>(socket: string, method: 'GET' | 'POST', requestPath: string, timeoutMs: number): Promise<EngineResponse<T>> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath: socket, method, path: requestPath, timeout: timeoutMs, headers: { Host: 'docker' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (text === '') return resolve({ status, body: undefined });
        try {
          resolve({ status, body: JSON.parse(text) as T });
        } catch {
          reject(new DockerError(`the Docker engine answered ${method} ${requestPath} with something that is not JSON (HTTP ${status}): ${text.slice(0, 200)}`));
        }
      });
    });
    request.on('timeout', () => request.destroy(new DockerError(`the Docker engine did not answer ${method} ${requestPath} within ${Math.ceil(timeoutMs / 1000)} s`, {
      fix: 'check that Docker is responsive (docker info), restart it if it hangs, then run again',
    })));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof DockerError) return reject(error);
      reject(new DockerError(`cannot reach the Docker engine at ${socket}: ${error.message}`, { fix: 'start Docker (docker info must work), then run again', cause: error }));
    });
    request.end();
  });
}

/** The engine's error message of a failed request ({"message": …}), for our own errors. */
export function engineMessage(response: EngineResponse<unknown>): string {
  const message = (response.body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : `HTTP ${response.status}`;
}
