import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive, processStartTime } from '../core/proc';
import { workspacePaths } from '../core/workspace';
import { dashboardStateFile, stopDashboard, type DashboardState } from './daemon';

/** Never signals a pid it cannot confirm is this workspace's dashboard (a reused pid, an unreadable command line). */
describe('stopDashboard and a recorded pid that is not the dashboard', () => {
  let root: string;
  let other: ChildProcess;
  const lines: string[] = [];
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-daemon-'));
    mkdirSync(path.join(root, 'logs'));
    lines.length = 0;
    // Another program that happens to have "dashboard" in its command line, as a reused pid might.
    other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'my-dashboard'], { stdio: 'ignore' });
  });
  afterEach(() => {
    other.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  const record = () => {
    const pid = other.pid ?? 0;
    const state: DashboardState = {
      pid,
      startTime: processStartTime(pid),
      port: 9999,
      url: 'http://127.0.0.1:9999/',
      namespace: undefined,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(dashboardStateFile(workspacePaths(root)), JSON.stringify(state));
    return state;
  };

  it('leaves a live process whose command line is not the dashboard alone, however it is named', async () => {
    const state = record();
    expect(await stopDashboard(workspacePaths(root), (line) => lines.push(line))).toBe(false);
    expect(isProcessAlive(state.pid, state.startTime)).toBe(true);
  });

  it('where the system does not show command lines, says the pid is not confirmed and does not signal it', async () => {
    const state = record();
    // win32: a platform where local-dev has no way to read a command line (core/proc.ts).
    expect(await stopDashboard(workspacePaths(root), (line) => lines.push(line), 'win32')).toBe(false);
    expect(isProcessAlive(state.pid, state.startTime)).toBe(true);
    expect(lines.join('\n')).toContain(
      `pid ${state.pid}, recorded as the dashboard, is running, but this system does not show its command line, so it is not signalled`,
    );
  });
});
