/**
 * Finding Docker's bridge gateway on this host: the address `host.docker.internal` (host-gateway)
 * means inside containers on Linux. The one place the tunnel asks the system about networking.
 */
import * as os from 'node:os';
import { ChildProcessError } from '../core/errors';
import { exec } from '../core/exec';
import { dockerBridgeGatewayFrom, parseIpAddrOutput } from './plan';

/**
 * docker0's IPv4 address, or undefined when this host has no Docker bridge (macOS, where Docker
 * Desktop reaches the host's loopback by itself; or Linux without Docker).
 */
export async function findDockerBridgeGateway(platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  if (platform !== 'linux') return undefined;
  // Node lists only interfaces that are up; docker0 is down while no container uses the default
  // bridge, yet its address is assigned and host-gateway still points at it.
  const fromNode = dockerBridgeGatewayFrom(os.networkInterfaces());
  if (fromNode) return fromNode;
  try {
    // No timeoutMs: `ip addr` answers at once, and exec's timeout timer would outlive a missing `ip`.
    return parseIpAddrOutput((await exec('ip', ['-o', '-4', 'addr', 'show', 'dev', 'docker0'])).stdout);
  } catch (error) {
    // `ip` not installed, or no docker0 interface: this host has no Docker bridge we can bind.
    if (error instanceof ChildProcessError) return undefined;
    throw error;
  }
}
