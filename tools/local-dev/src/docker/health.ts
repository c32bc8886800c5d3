/**
 * Waiting until a started service is healthy — never `sleep N`: poll the signal (HTTP 2xx on the
 * path, the TCP port accepting, or "still running after a grace period") until the timeout, and
 * fail fast when the container exits, with its last log lines. Every docker call has a timeout
 * within the deadline, so a hung engine cannot make `up` wait past it.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Healthcheck } from '../config/model';
import { DockerError } from '../core/errors';
import { cliQuery, inspectContainer } from './queries';

export interface HealthTarget {
  service: string;
  containerId: string;
  healthcheck: Healthcheck;
  /** Where the check connects (see HealthEndpoint); asked once the container runs. */
  endpoint: () => Promise<HealthEndpoint>;
}

export interface HealthEndpoint {
  host: string;
  port: number;
  /**
   * True when the check goes through a published host port (docker-proxy, or Docker Desktop's
   * forwarder): those accept a connection before the app listens, so a TCP accept proves nothing.
   */
  viaProxy: boolean;
}

/** How long a TCP check through a port proxy waits to see whether the accepted connection is dropped. */
export const PROXY_HOLD_MS = 300;

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export function probeHttp(host: string, port: number, pathname: string, timeoutMs = 2000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path: pathname, timeout: timeoutMs }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? { ok: true } : { ok: false, reason: `GET ${pathname} answered ${status}` });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, reason: `GET http://${host}:${port}${pathname}: ${error.message}` }));
  });
}

/**
 * Connects to host:port. Directly (the container's own address) an accept is the truth. Through a
 * port proxy (`viaProxy`) it is not: docker-proxy accepts every connection on the published port
 * and only then dials the app, closing ours at once when the app does not listen yet. So there
 * the connection must survive PROXY_HOLD_MS (or bring data): a close without data in that window
 * counts as not ready. A healthy server that closes silently at once would look the same, which
 * is why this is only the fallback for engines whose container addresses the host cannot reach.
 */
export function probeTcp(host: string, port: number, timeoutMs = 2000, viaProxy = false): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.setTimeout(0);
      if (!viaProxy) {
        socket.destroy();
        resolve({ ok: true });
        return;
      }
      const held = setTimeout(() => {
        socket.destroy();
        resolve({ ok: true });
      }, PROXY_HOLD_MS);
      socket.once('data', () => {
        clearTimeout(held);
        socket.destroy();
        resolve({ ok: true });
      });
      socket.once('close', () => {
        clearTimeout(held);
        resolve({ ok: false, reason: `${host}:${port} accepted and closed at once (the port proxy answers, the app does not listen yet)` });
      });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, reason: `${host}:${port} did not accept within ${timeoutMs} ms` });
    });
    socket.once('error', (error) => resolve({ ok: false, reason: `${host}:${port}: ${error.message}` }));
  });
}

export interface ContainerState {
  status: string;
  exitCode: number;
}

/** Longest a single docker query may take; a hung engine fails the check instead of blocking it. */
export const DOCKER_QUERY_TIMEOUT_MS = 10_000;
/** Still granted to the log query after the deadline, so the failure can show the log lines. */
const LOG_GRACE_MS = 3000;

export async function containerState(containerId: string, timeoutMs = DOCKER_QUERY_TIMEOUT_MS): Promise<ContainerState> {
  const { status, exitCode } = await inspectContainer(containerId, Math.max(1, Math.round(timeoutMs)));
  return { status, exitCode };
}

export async function lastLogLines(containerId: string, lines = 30, timeoutMs = DOCKER_QUERY_TIMEOUT_MS): Promise<string> {
  try {
    return await cliQuery(['logs', '--tail', String(lines), containerId], timeoutMs, true);
  } catch (error) {
    // The logs only decorate a failure already being reported: say why they are missing instead.
    if (error instanceof DockerError) return `(no log lines: ${error.message})`;
    throw error;
  }
}

async function probe(healthcheck: Healthcheck, endpoint: HealthEndpoint): Promise<ProbeResult> {
  if (healthcheck.type === 'http') return probeHttp(endpoint.host, endpoint.port, healthcheck.path);
  if (healthcheck.type === 'tcp') return probeTcp(endpoint.host, endpoint.port, 2000, endpoint.viaProxy);
  return { ok: true };
}

const POLL_INTERVAL_MS = 250;

/**
 * Resolves once healthy; throws DockerError (with the container's last log lines) otherwise.
 * With no healthcheck, "healthy" means the engine reports it running, as docker-compose's `up -d`
 * does: nothing tells a service that is about to crash from one that keeps running, and a fixed
 * wait would only add its length to every start of it and of everything after it (issue 10). A
 * service whose readiness matters gets an http or tcp healthcheck.
 */
export async function waitUntilHealthy(target: HealthTarget, now: () => number = Date.now): Promise<void> {
  const timeoutSeconds = target.healthcheck.type === 'none' ? 30 : target.healthcheck.timeoutSeconds;
  const deadline = now() + timeoutSeconds * 1000;
  const remaining = () => Math.min(DOCKER_QUERY_TIMEOUT_MS, Math.max(1000, deadline - now()));
  let lastReason = 'not checked yet';
  let endpoint: HealthEndpoint | undefined;
  for (;;) {
    await failIfStopped(target, await containerState(target.containerId, remaining()));
    if (target.healthcheck.type === 'none') return;
    try {
      endpoint ??= await target.endpoint();
    } catch (error) {
      // A container that exits right after starting loses its address between two looks at the
      // engine: report the exit (with its log), not the missing address.
      await failIfStopped(target, await containerState(target.containerId, remaining()));
      throw error;
    }
    const result = await probe(target.healthcheck, endpoint);
    if (result.ok) return;
    lastReason = result.reason;
    if (now() >= deadline) {
      throw new DockerError(
        `${target.service} was not healthy after ${timeoutSeconds} s (${lastReason}); its last log lines:\n${indent(await lastLogLines(target.containerId, 30, LOG_GRACE_MS))}`,
        {
          fix: `check the log above; raise "healthcheck: { timeout: … }" for ${target.service} in repos_docker_files/config.yaml if it just starts slowly`,
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

async function failIfStopped(target: HealthTarget, state: ContainerState): Promise<void> {
  if (state.status === 'running') return;
  throw new DockerError(
    `${target.service} stopped while starting (${state.status}, exit code ${state.exitCode}); its last log lines:\n${indent(await lastLogLines(target.containerId, 30, LOG_GRACE_MS))}`,
    {
      fix: `fix the error above, then run nx run ${target.service}:up again (full log: nx run ${target.service}:logs)`,
    },
  );
}

function indent(text: string): string {
  return (text.trim() || '(no output)')
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
