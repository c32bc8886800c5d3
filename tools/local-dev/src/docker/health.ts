/**
 * Waiting until a started service is healthy — never `sleep N`: poll the signal (HTTP 2xx on the
 * path, the TCP port accepting, or just "running") until the timeout, and fail fast when the
 * container exits, with its last log lines.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Healthcheck } from '../config/model';
import { exec } from '../core/exec';
import { DockerError } from '../core/errors';

export interface HealthTarget {
  service: string;
  containerId: string;
  healthcheck: Healthcheck;
  /** Where the check connects (the published host port, or the container's address); asked once it runs. */
  endpoint: () => Promise<{ host: string; port: number }>;
}

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

export function probeTcp(host: string, port: number, timeoutMs = 2000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true });
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

export async function containerState(containerId: string): Promise<ContainerState> {
  const result = await exec('docker', ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', containerId]);
  const [status, exitCode] = result.stdout.trim().split(' ');
  return { status, exitCode: Number(exitCode) };
}

export async function lastLogLines(containerId: string, lines = 30): Promise<string> {
  const result = await exec('docker', ['logs', '--tail', String(lines), containerId]);
  return [result.stdout, result.stderr].filter(Boolean).join('\n');
}

async function probe(healthcheck: Healthcheck, endpoint: { host: string; port: number }): Promise<ProbeResult> {
  if (healthcheck.type === 'http') return probeHttp(endpoint.host, endpoint.port, healthcheck.path);
  if (healthcheck.type === 'tcp') return probeTcp(endpoint.host, endpoint.port);
  return { ok: true };
}

const POLL_INTERVAL_MS = 250;

/** Resolves once healthy; throws DockerError (with the container's last log lines) otherwise. */
export async function waitUntilHealthy(target: HealthTarget, now: () => number = Date.now): Promise<void> {
  const timeoutSeconds = target.healthcheck.type === 'none' ? 30 : target.healthcheck.timeoutSeconds;
  const deadline = now() + timeoutSeconds * 1000;
  let lastReason = 'not checked yet';
  let endpoint: { host: string; port: number } | undefined;
  for (;;) {
    const state = await containerState(target.containerId);
    if (state.status !== 'running') {
      throw new DockerError(`${target.service} stopped while starting (${state.status}, exit code ${state.exitCode}); its last log lines:\n${indent(await lastLogLines(target.containerId))}`, {
        fix: `fix the error above, then run nx run ${target.service}:up again (full log: nx run ${target.service}:logs)`,
      });
    }
    endpoint ??= await target.endpoint();
    const result = await probe(target.healthcheck, endpoint);
    if (result.ok) return;
    lastReason = result.reason;
    if (now() >= deadline) {
      throw new DockerError(`${target.service} was not healthy after ${timeoutSeconds} s (${lastReason}); its last log lines:\n${indent(await lastLogLines(target.containerId))}`, {
        fix: `check the log above; raise "healthcheck: { timeout: … }" for ${target.service} in repos_docker_files/config.yaml if it just starts slowly`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function indent(text: string): string {
  return (text.trim() || '(no output)').split('\n').map((line) => `    ${line}`).join('\n');
}
