import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { endSupervisor, signal } from './launch';
import { formatTunnelStatus } from './status';
import { isSupervisorAlive, judgeSupervisor, readTunnelState, stateFile, SUPERVISOR_ENTRY_NAME, writeTunnelState, type TunnelState } from './state';

let paths: WorkspacePaths;
const children: ChildProcess[] = [];

beforeEach(() => {
  paths = workspacePaths(mkdtempSync(path.join(os.tmpdir(), 'local-dev-state-')));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(paths.root, { recursive: true, force: true });
});

/** A real process whose command line looks like a supervisor's (the reader checks it). */
function fakeSupervisor(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', SUPERVISOR_ENTRY_NAME], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function state(pid: number, status: TunnelState['status'], lastCheckAt = new Date()): TunnelState {
  const now = new Date().toISOString();
  return {
    pid,
    status,
    namespace: 's1',
    deployment: 'redis',
    port: 6379,
    addresses: ['127.0.0.1'],
    restarts: 0,
    lastCheckAt: lastCheckAt.toISOString(),
    staleAfterMs: 6000,
    startedAt: now,
    updatedAt: now,
  };
}

describe('readTunnelState', () => {
  it('is absent when no tunnel was started', () => {
    expect(readTunnelState(paths)).toEqual({ condition: 'absent' });
  });

  it('is running while the recorded supervisor lives', async () => {
    const supervisor = fakeSupervisor();
    await new Promise((resolve) => setTimeout(resolve, 100));
    writeTunnelState(paths, state(supervisor.pid as number, 'healthy'));
    expect(readTunnelState(paths)).toMatchObject({ condition: 'running', state: { status: 'healthy' } });
  });

  it('reads a healthy state whose last PING is older than staleAfterMs as unverified, never healthy (laptop slept, supervisor stopped)', async () => {
    const supervisor = fakeSupervisor();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const checkedAt = new Date(Date.now() - 10_000);
    writeTunnelState(paths, state(supervisor.pid as number, 'healthy', checkedAt));
    expect(readTunnelState(paths)).toMatchObject({ condition: 'running', state: { status: 'unverified', lastCheckAt: checkedAt.toISOString() } });
    // Just inside the bound it is still believed.
    expect(readTunnelState(paths, new Date(checkedAt.getTime() + 5_900))).toMatchObject({ condition: 'running', state: { status: 'healthy' } });
    // A healthy state without any check at all is not believed either.
    writeTunnelState(paths, { ...state(supervisor.pid as number, 'healthy'), lastCheckAt: undefined });
    expect(readTunnelState(paths)).toMatchObject({ condition: 'running', state: { status: 'unverified' } });
  });

  it('is stale when the supervisor died without saying so — never healthy', async () => {
    const supervisor = fakeSupervisor();
    writeTunnelState(paths, state(supervisor.pid as number, 'healthy'));
    const exited = new Promise((resolve) => supervisor.once('exit', resolve));
    supervisor.kill('SIGKILL');
    await exited;
    expect(readTunnelState(paths)).toMatchObject({ condition: 'stale', state: { status: 'healthy' } });
  });

  it('is stale when the pid now belongs to an unrelated program (pid reuse)', () => {
    writeTunnelState(paths, state(process.pid, 'healthy'));
    expect(readTunnelState(paths).condition).toBe('stale');
  });

  it('is stopped when the supervisor ended cleanly', () => {
    writeTunnelState(paths, state(999_999_999, 'stopped'));
    expect(readTunnelState(paths).condition).toBe('stopped');
  });

  it('treats a hand-edited, unreadable file as stale', () => {
    writeTunnelState(paths, state(1, 'healthy'));
    writeFileSync(stateFile(paths), '{ not json');
    expect(readTunnelState(paths).condition).toBe('stale');
  });

  it('writes atomically: no temp file is left beside the state', () => {
    writeTunnelState(paths, state(1, 'starting'));
    expect(readdirSync(paths.logs)).toEqual(['redis-tunnel.json']);
  });
});

describe('a recorded supervisor pid that cannot be confirmed is never signalled', () => {
  it.each([
    { facts: 'no such process (or a zombie, or a pid reused since)', commandLine: undefined, verdict: 'gone' },
    { facts: "the supervisor's command line", commandLine: `/usr/bin/node /w/runtime/compiled/src/tunnel/${SUPERVISOR_ENTRY_NAME}.js {}`, verdict: 'ours' },
    { facts: "another program's command line (pid reused after a reboot)", commandLine: '/usr/sbin/sshd -D', verdict: 'gone' },
    { facts: 'a running process whose command line this system does not show', commandLine: '', verdict: 'unconfirmed' },
  ] as const)('$facts → $verdict', ({ commandLine, verdict }) => {
    expect(judgeSupervisor(commandLine)).toBe(verdict);
  });

  it('a platform that cannot show command lines: the live supervisor reads as unconfirmed (not running), status says so with how to stop it by hand, and endSupervisor leaves it alone', async () => {
    const supervisor = fakeSupervisor();
    const pid = supervisor.pid as number;
    await new Promise((resolve) => setTimeout(resolve, 100));
    writeTunnelState(paths, state(pid, 'healthy'));
    // The same process on Linux is confirmed (the test's control).
    expect(readTunnelState(paths).condition).toBe('running');

    const reading = readTunnelState(paths, new Date(), 'win32');
    expect({ condition: reading.condition, unconfirmed: reading.condition === 'stale' && reading.unconfirmed?.message.startsWith(`pid ${pid},`) }).toEqual({
      condition: 'stale',
      unconfirmed: true,
    });
    const text = formatTunnelStatus(reading, new Date());
    expect(text).toContain(
      `UNCONFIRMED — pid ${pid}, recorded as the tunnel's supervisor, is running, but this system does not show its command line, so it cannot be confirmed as the supervisor and is not signalled`,
    );
    expect(text).toContain(`fix: if \`ps -p ${pid} -o command=\` shows ${SUPERVISOR_ENTRY_NAME}, stop it by hand with \`kill ${pid}\``);

    const signals: string[] = [];
    await endSupervisor(state(pid, 'healthy'), {
      isAlive: (candidate) => isSupervisorAlive(candidate, 'win32'),
      signal: (target, name) => {
        signals.push(name);
        signal(target, name);
      },
      timeoutMs: 200,
    });
    expect({ signals, alive: supervisor.exitCode === null && supervisor.signalCode === null }).toEqual({ signals: [], alive: true });
  });
});
