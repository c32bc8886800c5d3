/**
 * The tunnel lock (one tunnel command at a time per workspace) and ending a supervisor. The lock is
 * the workspace's one lock (src/core/lock.ts, whose spec replays its racy moments); here, how the
 * tunnel uses it, with real processes racing for a stale lock; endSupervisor's "it will not die" case with an injected liveness check, since no
 * real process survives SIGKILL on demand.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TunnelError } from '../core/errors';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { endSupervisor, lockFile, withTunnelLock } from './launch';
import type { TunnelState } from './state';

/** A pid no process has (above the kernel's pid_max). */
const DEAD_PID = 999_999_999;

let paths: WorkspacePaths;

beforeEach(() => {
  paths = workspacePaths(mkdtempSync(path.join(os.tmpdir(), 'local-dev-lock-')));
});

afterEach(() => {
  rmSync(paths.root, { recursive: true, force: true });
});

describe('tunnel lock (the workspace’s one lock, src/core/lock.ts)', () => {
  it('takes over at once a lock whose pid now belongs to another process (it waited out its timeout before)', async () => {
    mkdirSync(paths.logs, { recursive: true });
    // This test's own pid is alive, but the start time recorded with it is not its own: a pid reused
    // after a crash or a reboot. The old tunnel lock stored the pid only and waited 90 s for it.
    const reused = {
      pid: process.pid,
      startTime: '1',
      purpose: 'managing the Redis tunnel',
      command: 'nx run redis-tunnel:up',
      commandPid: process.pid,
      since: new Date().toISOString(),
      nonce: 'old',
    };
    writeFileSync(lockFile(paths), `${JSON.stringify(reused)}\n`);
    const said: string[] = [];
    const entered = await withTunnelLock(
      paths,
      3000,
      async () => 'entered',
      (line) => said.push(line),
    );
    expect(entered).toBe('entered');
    expect(said.join('\n')).toContain('Redis tunnel: took over the lock on the Redis tunnel left by `nx run redis-tunnel:up`');
    expect(existsSync(lockFile(paths))).toBe(false);
  });

  it('says whom it waits for, then gives up with a TunnelError naming the command holding it', async () => {
    mkdirSync(paths.logs, { recursive: true });
    const said: string[] = [];
    const holder = withTunnelLock(paths, 5000, () => new Promise((resolve) => setTimeout(resolve, 1500)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiter = withTunnelLock(
      paths,
      300,
      async () => 'never',
      (line) => said.push(line),
    );
    await expect(waiter).rejects.toThrow(TunnelError);
    await expect(waiter).rejects.toThrow(/the Redis tunnel is still in use by another local-dev command after waiting/);
    expect(said[0]).toMatch(/^Redis tunnel: waiting for the Redis tunnel: in use by `.+` \(pid \d+/);
    await holder;
  });

  it('real processes racing to take over a stale lock: exactly one holds it at any time', async () => {
    mkdirSync(paths.logs, { recursive: true });
    writeFileSync(lockFile(paths), `${DEAD_PID} dead-owner-token`);
    const journal = path.join(paths.root, 'journal');
    const launch = path.join(__dirname, 'launch.ts');
    const script = `
      const fs = require('node:fs');
      const { withTunnelLock } = require(${JSON.stringify(launch)});
      const paths = { logs: ${JSON.stringify(paths.logs)} };
      withTunnelLock(paths, 20000, async () => {
        fs.appendFileSync(${JSON.stringify(journal)}, 'enter ' + process.pid + '\\n');
        await new Promise((resolve) => setTimeout(resolve, 30));
        fs.appendFileSync(${JSON.stringify(journal)}, 'leave ' + process.pid + '\\n');
      }).then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });`;
    const takers = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ['-r', require.resolve('@swc-node/register'), '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    try {
      const codes = await Promise.all(takers.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve))));
      expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    } finally {
      for (const child of takers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const events = readFileSync(journal, 'utf8').trim().split('\n');
    expect(events).toHaveLength(12);
    // Strictly alternating enter/leave of the same process: never two inside at once.
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]).toMatch(/^enter /);
      expect(events[i + 1]).toBe(events[i].replace('enter', 'leave'));
    }
    expect(existsSync(lockFile(paths))).toBe(false);
  }, 30_000);
});

describe('endSupervisor', () => {
  const state: TunnelState = {
    pid: 4242,
    namespace: 's1',
    deployment: 'redis',
    port: 6379,
    addresses: ['127.0.0.1'],
    status: 'healthy',
    restarts: 0,
    startedAt: '',
    updatedAt: '',
  };

  it('throws a TunnelError naming the pid when the supervisor survives SIGTERM and SIGKILL', async () => {
    const signals: string[] = [];
    const ending = endSupervisor(state, { isAlive: () => true, signal: (_pid, name) => signals.push(name), timeoutMs: 100 });

    await expect(ending).rejects.toThrow(TunnelError);
    await expect(ending).rejects.toThrow('the Redis tunnel supervisor (pid 4242) is still running after SIGTERM and SIGKILL');
    expect(signals).toEqual(['SIGTERM', 'SIGCONT', 'SIGKILL']);
  });

  it('returns once the supervisor is gone', async () => {
    let alive = true;
    const signals: string[] = [];
    await endSupervisor(state, {
      isAlive: () => alive,
      signal: (_pid, name) => {
        signals.push(name);
        if (name === 'SIGKILL') alive = false;
      },
      timeoutMs: 100,
    });
    expect(signals).toEqual(['SIGTERM', 'SIGCONT', 'SIGKILL']);
  });
});
