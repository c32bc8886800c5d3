/**
 * Finding Docker's bridge gateway on this host: the address `host.docker.internal` (host-gateway)
 * means inside containers on Linux. The one place the tunnel asks the system about networking.
 */
import * as os from 'node:os';
import { ChildProcessError, TunnelError } from '../core/errors';
import { exec } from '../core/exec';
import { dockerBridgeGatewayFrom, parseIpAddrOutput } from './plan';

/** `ip addr` answers in milliseconds; one that takes this long is hung, and must not hold up a run. */
export const IP_TIMEOUT_MS = 5000;

/** What the lookup asks; tests replace them (a hung `ip`, another platform). */
export interface BridgeLookup {
  platform: NodeJS.Platform;
  interfaces: () => ReturnType<typeof os.networkInterfaces>;
  /** The `ip` program (iproute2). */
  ip: string;
  timeoutMs: number;
}

const SYSTEM: BridgeLookup = { platform: process.platform, interfaces: os.networkInterfaces, ip: 'ip', timeoutMs: IP_TIMEOUT_MS };

/**
 * docker0's IPv4 address, or undefined when this host has no Docker bridge (macOS, where Docker
 * Desktop reaches the host's loopback by itself; or Linux without Docker). Throws a TunnelError
 * when `ip` hangs: binding loopback alone then would quietly cut the containers off.
 */
export async function findDockerBridgeGateway(overrides: Partial<BridgeLookup> = {}): Promise<string | undefined> {
  const lookup = { ...SYSTEM, ...overrides };
  if (lookup.platform !== 'linux') return undefined;
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
    // `ip` not installed, or no docker0 interface: this host has no Docker bridge we can bind.
    return undefined;
  }
}
