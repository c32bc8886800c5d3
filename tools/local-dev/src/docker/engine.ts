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
 * Used when the engine is one the CLI reaches over a local unix socket, found as the CLI finds
 * it: DOCKER_HOST first (the CLI's "default" context), then the context named by DOCKER_CONTEXT
 * or the CLI config's currentContext, whose endpoint the CLI's context store records
 * (`<DOCKER_CONFIG or ~/.docker>/contexts/meta/<sha256 of the name>/meta.json`, what `docker
 * context inspect` prints). That is how Docker Desktop (desktop-linux →
 * ~/.docker/run/docker.sock), colima (~/.colima/<profile>/docker.sock) and OrbStack
 * (~/.orbstack/run/docker.sock) are found on macOS, and rootless Docker on Linux; the store is
 * the same on every platform. A remote engine (tcp://, ssh://), a context the store does not
 * hold, or an unreadable config returns undefined from `localEngineSocket`, and the callers ask
 * the CLI, which knows how to reach it (or says what is wrong).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerError } from '../core/errors';
import { ENGINE_DOWN_FIX } from './cli';
import { detectionKey } from './client';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The CLI's context, and for a named one the docker endpoint its store records (undefined: not found or unreadable). */
export interface CliContext {
  name: string;
  endpoint: string | undefined;
}

/**
 * Pure: the context the CLI uses, in the CLI's own order (its resolveContextName): DOCKER_HOST
 * means "default" (that host), then DOCKER_CONTEXT, then the config's currentContext.
 */
export function cliContextName(env: Record<string, string | undefined>, currentContext: string | undefined): string {
  if (env.DOCKER_HOST) return 'default';
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT;
  return currentContext || 'default';
}

/** Pure: the socket to talk to, or undefined when the CLI must decide (see above). */
export function chooseEngineSocket(env: Record<string, string | undefined>, context: CliContext): string | undefined {
  if (context.name === 'default') return env.DOCKER_HOST ? unixSocketPath(env.DOCKER_HOST) : DEFAULT_SOCKET;
  return context.endpoint === undefined ? undefined : unixSocketPath(context.endpoint);
}

function unixSocketPath(host: string): string | undefined {
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

function cliConfigDir(env: Record<string, string | undefined>): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
}

/** The CLI config's currentContext (undefined when it has none). */
function currentContext(env: Record<string, string | undefined>): string | undefined {
  try {
    const context = (JSON.parse(readFileSync(path.join(cliConfigDir(env), 'config.json'), 'utf8')) as { currentContext?: unknown }).currentContext;
    return typeof context === 'string' ? context : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A config the CLI itself may not read either: a name no store holds, so the CLI answers (and complains).
    return '(unreadable CLI config)';
  }
}

/** The docker endpoint the CLI's context store records for context `name`, as `docker context inspect` shows it. */
function contextEndpoint(env: Record<string, string | undefined>, name: string): string | undefined {
  const digest = createHash('sha256').update(name).digest('hex');
  try {
    const meta = JSON.parse(readFileSync(path.join(cliConfigDir(env), 'contexts', 'meta', digest, 'meta.json'), 'utf8')) as {
      Endpoints?: { docker?: { Host?: unknown } };
    };
    const host = meta.Endpoints?.docker?.Host;
    return typeof host === 'string' ? host : undefined;
  } catch {
    // No such context, or an entry the CLI could not read either: the CLI says what is wrong.
    return undefined;
  }
}

/** The CLI's context as the CLI would resolve it in `env`. */
export function cliContext(env: Record<string, string | undefined>): CliContext {
  const name = cliContextName(env, currentContext(env));
  return { name, endpoint: name === 'default' ? undefined : contextEndpoint(env, name) };
}

/** Chosen once per environment (the key the docker client detection uses): `up` asks this on every request, health polls included. */
const chosen = new Map<string, string | undefined>();

export function localEngineSocket(env: Record<string, string | undefined> = process.env): string | undefined {
  const key = detectionKey(env);
  if (!chosen.has(key)) chosen.set(key, chooseEngineSocket(env, cliContext(env)));
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
          reject(
            new DockerError(`the Docker engine answered ${method} ${requestPath} with something that is not JSON (HTTP ${status}): ${text.slice(0, 200)}`),
          );
        }
      });
    });
    request.on('timeout', () =>
      request.destroy(
        new DockerError(`the Docker engine did not answer ${method} ${requestPath} within ${Math.ceil(timeoutMs / 1000)} s`, {
          fix: 'check that Docker is responsive (docker info), restart it if it hangs, then run again',
        }),
      ),
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof DockerError) return reject(error);
      reject(
        new DockerError(`cannot reach the Docker engine at ${socket}: ${error.message}`, {
          fix: ENGINE_DOWN_FIX,
          cause: error,
        }),
      );
    });
    request.end();
  });
}

/** The engine's error message of a failed request ({"message": …}), for our own errors. */
export function engineMessage(response: EngineResponse<unknown>): string {
  const message = (response.body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : `HTTP ${response.status}`;
}
