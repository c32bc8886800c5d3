/**
 * Entry point of the background supervisor process (started by tunnel-up through `control.ts`,
 * detached from the Nx run so it outlives it):
 *
 *   node <compiled tree>/src/tunnel/supervisor-main.js '<json SupervisorLaunch>'
 *
 * (the precompiled JavaScript of this file, see tools/local-dev/runtime/compiled.js and launch.ts).
 *
 * SIGTERM / SIGINT: stop kubectl (its whole process group) and exit 0. SIGHUP: reconnect now.
 * A crash (an uncaught exception or unhandled rejection anywhere, a timer callback included):
 * kill kubectl's process group, write "crashed" with the error, exit 1 — never an orphan kubectl
 * holding the port. Its stdout/stderr go to logs/redis-tunnel.log (set up by the launcher), so
 * `log` just prints.
 */
import { workspacePaths } from '../core/workspace';
import { DEFAULT_TIMINGS, type SupervisorTimings, type TunnelTarget } from './plan';
import { TEST_HOOK_CRASH_ENV, TunnelSupervisor } from './supervisor';

/** What the launcher passes as the one argument, JSON-encoded. */
export interface SupervisorLaunch {
  root: string;
  target: TunnelTarget;
  /**
   * The forwarder's program: kubectl (or a stand-in), or redis-server for a local target. (Named
   * for the first kind; the bench and tests launch supervisors with it.)
   */
  kubectl: string;
  /** Overrides for tests and the bench; production uses DEFAULT_TIMINGS. */
  timings?: Partial<SupervisorTimings>;
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} [supervisor ${process.pid}] ${line}\n`);
}

/** Kept at module level so a crash can still end kubectl. */
let supervisor: TunnelSupervisor | undefined;

function crash(error: unknown): void {
  log(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  try {
    supervisor?.recordCrash(error);
  } catch (recordError) {
    // Already crashing: the log line is all that is left to say; exiting matters more.
    log(`could not end kubectl or record the crash: ${String(recordError)}`);
  }
  process.exit(1);
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

/** See TEST_HOOK_CRASH_ENV: only ever armed by tests. */
function armTestHook(value: string | undefined): void {
  const match = /^(throw|reject):(\d+)$/.exec(value ?? '');
  if (!match) return;
  log(`${TEST_HOOK_CRASH_ENV}=${value}: this supervisor will crash on purpose (test hook)`);
  setTimeout(() => {
    const error = new Error(`test hook ${TEST_HOOK_CRASH_ENV}=${value}`);
    if (match[1] === 'throw') throw error;
    void Promise.reject(error);
  }, Number(match[2]));
}

async function main(): Promise<void> {
  const launch = JSON.parse(process.argv[2] ?? '') as SupervisorLaunch;
  const running = new TunnelSupervisor({
    paths: workspacePaths(launch.root),
    target: launch.target,
    program: launch.kubectl,
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
  armTestHook(process.env[TEST_HOOK_CRASH_ENV]);
  log(
    launch.target.mode === 'local'
      ? `supervising a local redis-server for namespace ${launch.target.namespace} on ${launch.target.addresses.join(',')}:${launch.target.port}`
      : `supervising kubectl port-forward for ${launch.target.namespace}/deployment/${launch.target.deployment} on ${launch.target.addresses.join(',')}:${launch.target.port}`,
  );
  await running.run();
}

// run() ends on stop (the signal handler exits) or on a permanent kubectl error (state "stopped").
main().then(() => process.exit(0), crash);
