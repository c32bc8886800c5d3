/**
 * redis-tunnel:up's hashed state: what readTunnelState (the reading tunnel-up and status trust)
 * says of the tunnel, as an observation for settled tokens (./settled.ts).
 *
 * Satisfied only while our supervisor runs and has proved traffic works recently (running and
 * healthy after the freshness check). Any other state (absent, stopped, could not start, crashed,
 * starting, degraded, a PING older than its bound) is not, so redis-tunnel:up runs. That matters
 * since tunnel-up is best effort: it succeeds on a tunnel that is not healthy, and such a success
 * must never stand in for a healthy tunnel on a later run.
 */
import { workspacePaths } from '../core/workspace';
import { readTunnelState } from '../tunnel/state';
import { settle, type Observation } from './settled';

export const TUNNEL_KEY = 'redis-tunnel';

export function observeTunnel(root: string, now: Date = new Date()): Observation {
  const reading = readTunnelState(workspacePaths(root), now);
  if (reading.condition !== 'running') return { text: `tunnel ${reading.condition}${'state' in reading ? ` ${reading.state.status}` : ''}`, satisfied: false };
  const { state } = reading;
  // The kubectl too: tunnel-up is best effort, so a run that found the tunnel failing (after Nx
  // had hashed it healthy) succeeds and is cached. Any failure restarts kubectl, so only an
  // unbroken healthy stretch of one kubectl is one state. mode: a switch between the kubectl
  // tunnel and a local redis-server must run tunnel-up. Not the PING time: it changes every check.
  const text = [
    `tunnel ${state.status} mode=${state.mode ?? 'tunnel'} namespace=${state.namespace} deployment=${state.deployment} port=${state.port}`,
    `addresses=${state.addresses.join(',')} pid=${state.pid} started=${state.startedAt} kubectl=${state.kubectlPid}@${state.kubectlStartedAt}`,
  ].join(' ');
  return { text, satisfied: state.status === 'healthy' };
}

/** After tunnel-up succeeded (healthy or, best effort, not): records the tunnel's state under the token it ran with. */
export function settleTunnel(root: string): void {
  settle(root, TUNNEL_KEY, observeTunnel(root));
}
