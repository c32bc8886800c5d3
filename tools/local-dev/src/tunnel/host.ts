/**
 * Where containers reach this host: the address the tunnel must listen on, besides loopback, so
 * `host.docker.internal` (compose maps it to `host-gateway`) reaches it from every container. The
 * one place the tunnel asks the system about networking.
 *
 * - Linux: host-gateway is the Docker bridge's gateway, docker0's address on this host (e.g.
 *   172.17.0.1); found from Node's interfaces, else `ip`, else (no `ip` installed) the engine's
 *   `bridge` network, kept only if it is an address of this host.
 * - macOS: Docker Desktop, OrbStack and colima run the engine in a VM that forwards
 *   host.docker.internal / host-gateway to this Mac's loopback, so loopback alone is enough (colima
 *   since 0.6.6, which points host-gateway at the Mac). The same holds for Docker Desktop on Windows.
 */
import * as net from 'node:net';
import * as os from 'node:os';
import { ChildProcessError, DockerError, TunnelError } from '../core/errors';
import { exec } from '../core/exec';
import { engineRequest, localEngineSocket } from '../docker/engine';
import { dockerBridgeGatewayFrom, parseIpAddrOutput } from './plan';

/** `ip addr` answers in milliseconds; one that takes this long is hung, and must not hold up a run. */
export const IP_TIMEOUT_MS = 5000;
/** The engine answers a network inspect in milliseconds; the same bound as `ip`. */
const ENGINE_TIMEOUT_MS = 5000;

/** Pure: does `platform` need the Docker bridge address, or do containers reach loopback by themselves (and why)? */
export function containersReachHostThrough(platform: NodeJS.Platform): { via: 'docker-bridge' } | { via: 'loopback'; why: string } {
  if (platform === 'linux') return { via: 'docker-bridge' };
  return {
    via: 'loopback',
    why:
      platform === 'darwin'
        ? "Docker Desktop, OrbStack and colima forward host.docker.internal (host-gateway) to this Mac's loopback"
        : "Docker Desktop forwards host.docker.internal (host-gateway) to this machine's loopback",
  };
}

/**
 * Pure: the default bridge network's gateway in the engine's `GET /networks/bridge` answer (`docker
 * network inspect bridge`): its IPv4 Gateway, or, where the engine leaves it out (20.10 does for
 * the default bridge), the first address of its IPv4 subnet, which is what the engine gives docker0.
 */
export function bridgeGatewayFromNetwork(network: unknown): string | undefined {
  const configs = (network as { IPAM?: { Config?: Array<{ Gateway?: unknown; Subnet?: unknown }> } } | undefined)?.IPAM?.Config ?? [];
  for (const config of configs) {
    if (typeof config.Gateway === 'string' && IPV4.test(config.Gateway)) return config.Gateway;
    const subnet = typeof config.Subnet === 'string' ? /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(config.Subnet) : null;
    if (subnet && Number(subnet[2]) < 31) {
      const mask = Number(subnet[2]) === 0 ? 0 : (0xffffffff << (32 - Number(subnet[2]))) >>> 0;
      const first = ((subnet[1].split('.').reduce((value, octet) => (value << 8) + Number(octet), 0) & mask) >>> 0) + 1;
      return [24, 16, 8, 0].map((shift) => (first >>> shift) & 255).join('.');
    }
  }
  return undefined;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** True when this host has `address` (a listener can bind it); false for an address elsewhere (a VM's, another namespace's). */
export function isAddressOfThisHost(address: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRNOTAVAIL' ? resolve(false) : reject(error)));
    server.listen({ port: 0, host: address, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The engine's bridge gateway, if the engine answers over its socket; undefined when it cannot say. */
async function engineBridgeGateway(): Promise<string | undefined> {
  const socket = localEngineSocket();
  // A remote engine's bridge is not on this host anyway.
  if (socket === undefined) return undefined;
  try {
    const response = await engineRequest<unknown>(socket, 'GET', '/networks/bridge', ENGINE_TIMEOUT_MS);
    return response.status === 200 ? bridgeGatewayFromNetwork(response.body) : undefined;
  } catch (error) {
    // No engine answering: no bridge to bind (the run reports the engine itself, where it needs it).
    if (error instanceof DockerError) return undefined;
    throw error;
  }
}

/** What the lookup asks; tests replace them (a hung `ip`, a missing one, another platform). */
export interface BridgeLookup {
  platform: NodeJS.Platform;
  interfaces: () => ReturnType<typeof os.networkInterfaces>;
  /** The `ip` program (iproute2). */
  ip: string;
  timeoutMs: number;
  /** The engine's bridge gateway, asked when `ip` is not installed. */
  engineGateway: () => Promise<string | undefined>;
}

const SYSTEM: BridgeLookup = {
  platform: process.platform,
  interfaces: os.networkInterfaces,
  ip: 'ip',
  timeoutMs: IP_TIMEOUT_MS,
  engineGateway: engineBridgeGateway,
};

/**
 * docker0's IPv4 address, or undefined when the containers reach loopback by themselves (macOS,
 * see above) or this host has no Docker bridge (Linux without Docker). Throws a TunnelError when
 * `ip` hangs: binding loopback alone then would quietly cut the containers off.
 */
export async function findDockerBridgeGateway(overrides: Partial<BridgeLookup> = {}): Promise<string | undefined> {
  const lookup = { ...SYSTEM, ...overrides };
  if (containersReachHostThrough(lookup.platform).via === 'loopback') return undefined;
  // Node lists only interfaces that are up; docker0 is down while no container uses the default
  // bridge, yet its address is assigned and host-gateway still points at it.
  const fromNode = dockerBridgeGatewayFrom(lookup.interfaces());
  if (fromNode) return fromNode;
  const args = ['-o', '-4', 'addr', 'show', 'dev', 'docker0'];
  const started = Date.now();
  try {
    return parseIpAddrOutput((await exec(lookup.ip, args, { timeoutMs: lookup.timeoutMs })).stdout);
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    // exec killed it at the deadline (a ChildProcessError like the others, told apart by the time).
    if (Date.now() - started >= lookup.timeoutMs) {
      throw new TunnelError(`\`${lookup.ip} ${args.join(' ')}\` did not answer within ${lookup.timeoutMs} ms, so the Docker bridge address is unknown`, {
        fix: 'check that `ip addr show docker0` answers on this host (iproute2), then run the command again',
        cause: error,
      });
    }
    // `ip` ran and found no docker0: this host has no Docker bridge we can bind.
    if (error.exitCode !== null) return undefined;
  }
  // `ip` is not installed: the engine knows its bridge's gateway, which is docker0's address when
  // the engine runs on this host (not for rootless Docker or an engine in a VM: then it is not ours).
  const fromEngine = await lookup.engineGateway();
  return fromEngine !== undefined && (await isAddressOfThisHost(fromEngine)) ? fromEngine : undefined;
}
