/**
 * Entry point of the background supervisor process (started by tunnel-up through `control.ts`,
 * detached from the Nx run so it outlives it):
 *
 *   node -r @swc-node/register supervisor-main.ts '<json SupervisorLaunch>'
 *
 * SIGTERM / SIGINT: stop kubectl (its whole process group) and exit 0. SIGHUP: reconnect now.
 * Its stdout/stderr go to logs/redis-tunnel.log (set up by the launcher), so `log` just prints.
 */
import { workspacePaths } from '../core/workspace';
import { DEFAULT_TIMINGS, type SupervisorTimings, type TunnelTarget } from './plan';
import { TunnelSupervisor } from './supervisor';

/** What the launcher passes as the one argument, JSON-encoded. */
export interface SupervisorLaunch {
  root: string;
  target: TunnelTarget;
  kubectl: string;
  /** Overrides for tests and the bench; production uses DEFAULT_TIMINGS. */
  timings?: Partial<SupervisorTimings>;
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} [supervisor ${process.pid}] ${line}\n`);
}

/** Kept at module level so a crash can still end kubectl. */
let supervisor: TunnelSupervisor | undefined;

async function main(): Promise<void> {
  const launch = JSON.parse(process.argv[2] ?? '') as SupervisorLaunch;
  const running = new TunnelSupervisor({
    paths: workspacePaths(launch.root),
    target: launch.target,
    kubectl: launch.kubectl,
    env: process.env,
    timings: { ...DEFAULT_TIMINGS, ...launch.timings },
    log,
  });
  supervisor = running;
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    log(`${signal} received: stopping kubectl and exiting`);
    stopping ??= running.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => running.requestReconnect());
  log(`supervising kubectl port-forward for ${launch.target.namespace}/deployment/${launch.target.deployment} on ${launch.target.addresses.join(',')}:${launch.target.port}`);
  await running.run();
}

main().catch((error: unknown) => {
  // A bug in the supervisor: say so in the log; the state file then reads "stale" to everyone.
  log(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  // No orphan kubectl holding the port after a crash.
  supervisor?.killKubectlNow();
  process.exit(1);
});
