import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../core/workspace';
import { buildSlotPath, withBuildSlot } from './build-slots';

describe('withBuildSlot', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'build-slots-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs at most `slots` builds at once, and every build eventually', async () => {
    const paths = workspacePaths(root);
    let running = 0;
    let most = 0;
    const lines: string[] = [];
    const build = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 300));
      running--;
    };
    await Promise.all([1, 2, 3, 4, 5].map((n) => withBuildSlot(paths, `build svc-${n}`, (line) => lines.push(line), build, 2)));
    expect(most).toBe(2);
    expect(lines.some((line) => line.startsWith('waiting for a build slot (2 builds at once)'))).toBe(true);
    // No slot is left taken.
    expect(readdirSync(path.dirname(buildSlotPath(paths, 0)))).toEqual([]);
  });

  it('frees the slot when the build fails', async () => {
    const paths = workspacePaths(root);
    await expect(
      withBuildSlot(
        paths,
        'build a',
        () => undefined,
        async () => Promise.reject(new Error('broken build')),
        1,
      ),
    ).rejects.toThrow('broken build');
    await expect(
      withBuildSlot(
        paths,
        'build b',
        () => undefined,
        async () => 'built',
        1,
      ),
    ).resolves.toBe('built');
  });

  it('takes over a slot left by a command that has ended (a killed build never keeps it)', async () => {
    const paths = workspacePaths(root);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(path.dirname(buildSlotPath(paths, 0)), { recursive: true });
    writeFileSync(
      buildSlotPath(paths, 0),
      JSON.stringify({
        pid: Number(dead.stdout),
        startTime: '1',
        purpose: 'build x',
        command: 'nx run x:build-image',
        commandPid: Number(dead.stdout),
        since: new Date().toISOString(),
        nonce: 'n',
      }),
    );
    const lines: string[] = [];
    await expect(
      withBuildSlot(
        paths,
        'build b',
        (line) => lines.push(line),
        async () => 'built',
        1,
      ),
    ).resolves.toBe('built');
    expect(lines.join('\n')).toContain('took over the lock on build slot 1 of 1');
  });
});
