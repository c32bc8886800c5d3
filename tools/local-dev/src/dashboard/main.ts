/**
 * Entry point of the dashboard's background process (started by daemon.ts, detached, from its
 * precompiled JavaScript):
 *
 *   node <compiled tree>/src/dashboard/main.js '<json DashboardLaunch>'
 *
 * Listens on 127.0.0.1 only, then writes logs/dashboard.json; SIGTERM/SIGINT close it, end its
 * children (the log followers, the poller's watch, a rebuild in progress: its whole process group)
 * and remove that file (if it is still ours). Its output goes to logs/dashboard.log.
 */
import { randomBytes } from 'node:crypto';
import { writeFileAtomically } from '../core/atomic-write';
import { processStartTime } from '../core/proc';
import { workspacePaths } from '../core/workspace';
import { openWorkspace } from '../stack/gather';
import { workspaceActions } from './actions';
import { dashboardStateFile, readDashboardState, type DashboardLaunch, type DashboardState } from './daemon';
import { Poller, workspacePollerDeps } from './poller';
import { LogFollowers } from './followers';
import { createDashboardServer } from './server';
import { followBuildOutput, workspaceLogEngine } from './streams';
import { rmSync } from 'node:fs';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} [dashboard ${process.pid}] ${line}\n`);
}

function main(): void {
  const launch = JSON.parse(process.argv[2] ?? '') as DashboardLaunch;
  const paths = workspacePaths(launch.root);
  const poller = new Poller(workspacePollerDeps(paths, launch.namespace, log));
  const followers = new LogFollowers(workspaceLogEngine(paths.root), log);
  const server = createDashboardServer({
    port: launch.port,
    token: randomBytes(24).toString('hex'),
    snapshot: () => poller.current(),
    subscribe: (listener) => poller.subscribe(listener),
    // Read each time: config.yaml may gain or lose services while the dashboard runs.
    services: () => openWorkspace(paths.root, launch.namespace).model.services.map((service) => service.name),
    followLogs: (services, send) => followers.subscribe(services, send),
    followBuildOutput: (send) => followBuildOutput(paths, send),
    runAction: workspaceActions(paths.root, launch.namespace),
    log,
  });
  server.on('error', (error) => {
    log(`cannot listen on 127.0.0.1:${launch.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(launch.port, '127.0.0.1', () => {
    const state: DashboardState = {
      pid: process.pid,
      startTime: processStartTime(process.pid),
      port: launch.port,
      url: `http://127.0.0.1:${launch.port}/`,
      namespace: launch.namespace,
      startedAt: new Date().toISOString(),
    };
    writeFileAtomically(dashboardStateFile(paths), `${JSON.stringify(state, null, 2)}\n`);
    log(`listening on ${state.url}`);
  });
  const stop = (signal: string) => {
    log(`${signal} received: closing`);
    followers.close();
    poller.stop();
    endProcessGroup();
    if (readDashboardState(paths)?.pid === process.pid) rmSync(dashboardStateFile(paths), { force: true });
    // Open event streams would keep close() waiting: this process ends now either way.
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * Ends whatever else runs in this process's group (daemon.ts starts it as a group leader): a
 * rebuild's nx and its children. `stack:stop` signals the whole group itself; a plain `kill <pid>`
 * reaches only this process.
 */
function endProcessGroup(): void {
  // Not this process: it exits right after, and its own handler must not run twice.
  process.removeAllListeners('SIGTERM');
  process.on('SIGTERM', () => undefined);
  try {
    process.kill(-process.pid, 'SIGTERM');
  } catch (error) {
    // Not a group leader (started by hand, not by daemon.ts): its children were ended above.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

main();
