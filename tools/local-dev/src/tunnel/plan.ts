/**
 * What the Redis tunnel runs, decided purely from its inputs: the kubectl argument list, the
 * addresses it binds, the retry schedule and the supervisor's timings. Everything here is testable
 * without a process, a socket or a cluster.
 */

import type { RedisMode } from '../config/model';

/** What one supervisor serves. Two supervisors with equal targets are interchangeable. */
export interface TunnelTarget {
  /**
   * tunnel: kubectl port-forward to the namespace's Redis; local: a redis-server on this machine
   * (see forwarder.ts). Absent in states written before local mode existed: those were tunnels.
   */
  mode?: RedisMode;
  /** The namespace served (for local: the run's namespace; its Redis is this machine's). */
  namespace: string;
  deployment: string;
  /** The same port locally and on the Redis pod (config.yaml `redis.port`). */
  port: number;
  /** Local addresses kubectl listens on, loopback first. */
  addresses: string[];
}

export const LOOPBACK = '127.0.0.1';

/** `kubectl -n <ns> port-forward deployment/<name> --address <a,b> <port>:<port>` as an argument list. */
export function portForwardArgs(target: TunnelTarget): string[] {
  return ['-n', target.namespace, 'port-forward', `deployment/${target.deployment}`, '--address', target.addresses.join(','), `${target.port}:${target.port}`];
}

/**
 * `redis-server` for config.yaml's `redis.mode: local`, as an argument list: the same port and
 * bind addresses as the tunnel, so services find it at the same REDIS_HOST/REDIS_PORT. Nothing is
 * saved (no RDB, no AOF): like a fresh namespace, it starts empty; nothing lands in the workspace.
 * Protected mode is off because it answers every non-loopback client `-DENIED`, and containers
 * reach it through the Docker bridge address; the explicit bind addresses (loopback and that
 * bridge, never 0.0.0.0) are what keep it off the network, exactly as for the tunnel.
 */
export function localRedisArgs(target: TunnelTarget): string[] {
  return [
    '--port',
    String(target.port),
    '--bind',
    ...target.addresses,
    '--protected-mode',
    'no',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    '',
  ];
}

/**
 * The addresses kubectl (or the local redis-server) should listen on.
 *
 * kubectl binds loopback by default, which containers cannot reach on Linux: compose maps
 * host.docker.internal to `host-gateway`, the docker0 bridge gateway (e.g. 172.17.0.1). So when that
 * bridge exists on this host we also bind its gateway address — reachable from containers, not from
 * the network, unlike 0.0.0.0, which would expose Redis on every interface. Without a bridge (macOS
 * Docker Desktop, or no Docker) loopback is enough: Desktop forwards host.docker.internal to it.
 */
export function chooseBindAddresses(dockerBridgeGateway: string | undefined): string[] {
  if (!dockerBridgeGateway || !isUsableGateway(dockerBridgeGateway)) return [LOOPBACK];
  return [LOOPBACK, dockerBridgeGateway];
}

/** A concrete IPv4 unicast address that is not loopback or a wildcard (never bind 0.0.0.0). */
function isUsableGateway(address: string): boolean {
  const octets = address.split('.');
  if (octets.length !== 4 || !octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)) return false;
  const first = Number(octets[0]);
  return address !== '0.0.0.0' && first !== 127 && first < 224;
}

/** The IPv4 address of Docker's default bridge (docker0) in `os.networkInterfaces()` output. */
export function dockerBridgeGatewayFrom(interfaces: NodeJS.Dict<Array<{ address: string; family: string | number; internal: boolean }>>): string | undefined {
  return interfaces.docker0?.find((entry) => (entry.family === 'IPv4' || entry.family === 4) && !entry.internal)?.address;
}

/** The first IPv4 address in `ip -o -4 addr show dev docker0` output ("5: docker0 inet 172.17.0.1/16 …"). */
export function parseIpAddrOutput(output: string): string | undefined {
  return /\binet (\d{1,3}(?:\.\d{1,3}){3})\//.exec(output)?.[1];
}

export function sameTarget(a: TunnelTarget, b: TunnelTarget): boolean {
  return (
    (a.mode ?? 'tunnel') === (b.mode ?? 'tunnel') &&
    a.namespace === b.namespace &&
    a.deployment === b.deployment &&
    a.port === b.port &&
    a.addresses.join(',') === b.addresses.join(',')
  );
}

/** How the supervisor paces itself. One object so the bench and tests can see the real values. */
export interface SupervisorTimings {
  /** Between health checks while healthy; each check also keeps idle forwards from timing out. */
  checkIntervalMs: number;
  /** A PING not answered within this is a failed check (catches forwards that accept but hang). */
  pingTimeoutMs: number;
  /** kubectl must print "Forwarding from" within this, or the attempt counts as failed. */
  readyTimeoutMs: number;
  backoff: BackoffPolicy;
}

export interface BackoffPolicy {
  /** Delay before the first retry: small, so one lost connection heals in well under 2 s. */
  firstMs: number;
  /** Each further failed attempt multiplies the delay by this. */
  factor: number;
  /** The delay never grows past this, so a tunnel comes back soon after the cluster does. */
  maxMs: number;
  /** Up to this fraction of the delay is added at random, so many laptops do not retry in step. */
  jitter: number;
}

export const DEFAULT_TIMINGS: SupervisorTimings = {
  checkIntervalMs: 2000,
  pingTimeoutMs: 1000,
  readyTimeoutMs: 15000,
  backoff: { firstMs: 100, factor: 2, maxMs: 5000, jitter: 0.2 },
};

/**
 * How old the last good PING may be before "healthy" is no longer believed: two full check cycles
 * (interval + PING timeout each). A supervisor that is alive and not stalled always checks within
 * one cycle; an older check means the machine slept or the supervisor is stopped or blocked.
 */
export function freshnessBoundMs(timings: Pick<SupervisorTimings, 'checkIntervalMs' | 'pingTimeoutMs'>): number {
  return 2 * (timings.checkIntervalMs + timings.pingTimeoutMs);
}

/**
 * Milliseconds to wait before restart attempt number `attempt` (0 = the first retry after a
 * failure). `random` is in [0, 1); pass Math.random in the supervisor, a constant in tests.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: number): number {
  const base = Math.min(policy.maxMs, policy.firstMs * policy.factor ** Math.max(0, attempt));
  return Math.round(base + base * policy.jitter * random);
}
