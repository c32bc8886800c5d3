import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireLock, lockLeftoverPid, releaseLock, removeStaleLock } from './lock';

/** Tidying up locks (clean): only what a dead command left, never a lock or a half-made one of a live command. */
describe('removeStaleLock and lock leftovers', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-lock-tidy-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("keeps a live command's lock", async () => {
    const lockPath = path.join(folder, '.api.lock');
    const held = await acquireLock(lockPath, { subject: 'api', purpose: 'test', log: () => undefined, timeoutError: (message) => new Error(message) });
    expect(removeStaleLock(lockPath)).toBe(false);
    expect(readFileSync(lockPath, 'utf8')).toBe(held.record);
    releaseLock(held);
  });

  it('removes a lock whose holder is dead', () => {
    const lockPath = path.join(folder, '.api.lock');
    // A real pid that has exited by now.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(lockPath, JSON.stringify({ pid: Number(gone), startTime: '1', nonce: 'abc', command: 'nx run api:up', purpose: 'up' }));
    expect(removeStaleLock(lockPath)).toBe(true);
    expect(existsSync(lockPath)).toBe(false);
    expect(removeStaleLock(lockPath)).toBe(false);
  });

  it('reads the pid of a temporary lock file and of a set-aside one, and nothing else', () => {
    expect(lockLeftoverPid('.api.lock.4242-0123456789abcdef.tmp')).toBe(4242);
    expect(lockLeftoverPid('.api.lock.stale-4242-89abcdef')).toBe(4242);
    expect(lockLeftoverPid('.api.lock')).toBeUndefined();
    expect(lockLeftoverPid('.api.partial-4242')).toBeUndefined();
  });
});
