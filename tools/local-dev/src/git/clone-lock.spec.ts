/** The per-clone lock, on real files with real processes. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitError } from '../core/errors';
import type { LockHolder } from '../core/lock';
import { processStartTime } from '../core/proc';
import { acquireCloneLock, cloneLockPath, releaseCloneLock, withCloneLock } from './clone-lock';

let cloned: string;
let clone: string;
let lines: string[];
const log = (line: string) => lines.push(line);

beforeEach(() => {
  cloned = mkdtempSync(path.join(os.tmpdir(), 'local-dev-lock-'));
  clone = path.join(cloned, 'health-api');
  lines = [];
});
afterEach(() => rmSync(cloned, { recursive: true, force: true }));

/** The pid of a process that has run and exited (reaped), so nothing is running under it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** Rewrites the holder recorded in the lock file, as if another process had taken it. */
function recordHolder(changes: Partial<LockHolder>): void {
  const file = cloneLockPath(clone);
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as LockHolder), ...changes }));
}

it('lives beside the clone (so it also guards a first clone) and is gone after the operation', async () => {
  expect(cloneLockPath(clone)).toBe(path.join(cloned, '.health-api.lock'));
  await withCloneLock(clone, 'cloned/health-api', { purpose: 'clone', log }, async () => {
    expect(readdirSync(cloned)).toEqual(['.health-api.lock']);
    const holder = JSON.parse(readFileSync(cloneLockPath(clone), 'utf8')) as LockHolder;
    expect(holder).toMatchObject({ pid: process.pid, startTime: processStartTime(process.pid), purpose: 'clone' });
  });
  await expect(withCloneLock(clone, 'cloned/health-api', { purpose: 'clone', log }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(readdirSync(cloned)).toEqual([]);
});

it('runs two operations on one clone one after the other, never interleaved', async () => {
  const events: string[] = [];
  const operation = (name: string) =>
    withCloneLock(clone, 'cloned/health-api', { purpose: name, log, pollMs: 10 }, async () => {
      events.push(`${name} starts`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      events.push(`${name} ends`);
    });
  await Promise.all([operation('inject-config for namespace s1'), operation('inject-config for namespace s2')]);
  expect(events).toEqual([
    'inject-config for namespace s1 starts',
    'inject-config for namespace s1 ends',
    'inject-config for namespace s2 starts',
    'inject-config for namespace s2 ends',
  ]);
  expect(lines).toEqual([
    expect.stringMatching(
      new RegExp(`^waiting for cloned/health-api: in use by \`.*\` \\(pid ${process.pid}; inject-config for namespace s1, for 0 s\\); waited 0 s so far`),
    ),
  ]);
});

it('takes over a lock whose process has died, saying whose it was', async () => {
  await acquireCloneLock(clone, 'cloned/health-api', { purpose: 'clone --refresh', log });
  const pid = deadPid();
  recordHolder({ pid, startTime: '' });
  const lock = await acquireCloneLock(clone, 'cloned/health-api', { purpose: 'clone', log, timeoutMs: 0 });
  expect(lines).toEqual([
    expect.stringMatching(new RegExp(`^took over the lock on cloned/health-api left by \`.*\` \\(pid ${pid}; clone --refresh\\), which is no longer running$`)),
  ]);
  releaseCloneLock(lock);
  expect(readdirSync(cloned)).toEqual([]);
});

it('takes over a lock whose pid now belongs to another process (started at another time)', async () => {
  await acquireCloneLock(clone, 'cloned/health-api', { purpose: 'clone', log });
  recordHolder({ pid: process.ppid, startTime: '1' });
  releaseCloneLock(await acquireCloneLock(clone, 'cloned/health-api', { purpose: 'clone', log, timeoutMs: 0 }));
  expect(lines).toEqual([
    expect.stringMatching(new RegExp(`^took over the lock on cloned/health-api left by \`.*\` \\(pid ${process.ppid}; clone\\), which is no longer running$`)),
  ]);
});

it('gives up after the timeout, naming the holder and the fix', async () => {
  const held = await acquireCloneLock(clone, 'cloned/health-api', { purpose: 'clone --refresh', log });
  const waiting = acquireCloneLock(clone, 'cloned/health-api', { purpose: 'inject-config for namespace s2', log, timeoutMs: 300, pollMs: 50 });
  await expect(waiting).rejects.toThrow(GitError);
  await expect(waiting).rejects.toThrow(
    new RegExp(`^cloned/health-api: still in use by another local-dev command after waiting 0 s: \`.*\` \\(pid ${process.pid}; clone --refresh, for 0 s\\)$`),
  );
  await waiting.catch((error: GitError) =>
    expect(error.fix).toMatch(new RegExp(`^let that command finish, or stop it \\(kill ${process.pid}\\) and run again`)),
  );
  expect(readFileSync(held.path, 'utf8')).toBe(held.record);
  releaseCloneLock(held);
});

it('never removes a lock that is no longer its own', async () => {
  const lock = await acquireCloneLock(clone, 'cloned/health-api', { purpose: 'clone', log });
  recordHolder({ nonce: 'someone-else' });
  releaseCloneLock(lock);
  expect(existsSync(lock.path)).toBe(true);
});
