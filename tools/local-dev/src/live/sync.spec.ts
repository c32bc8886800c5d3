/**
 * The sync against the real engine: a busybox container receives the archive and the deletes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DockerError } from '../core/errors';
import { archiveName, syncIntoContainer } from './sync';

jest.setTimeout(60_000);

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const inContainer = (id: string, ...args: string[]) => docker('exec', id, ...args);

let clone: string;
let container: string;

beforeAll(() => {
  container = docker(
    'run',
    '-d',
    '--label',
    'io.local-dev.test=live-sync',
    'busybox:1.36',
    'sh',
    '-c',
    'mkdir -p /app/app && echo old > /app/app/gone.txt && exec sleep 600',
  );
});
afterAll(() => {
  if (container) docker('rm', '-f', container);
});
beforeEach(() => {
  clone = mkdtempSync(path.join(tmpdir(), 'live-sync-'));
});
afterEach(() => rmSync(clone, { recursive: true, force: true }));

describe('syncIntoContainer', () => {
  it('writes files with their modes and new folders, deletes, and turns a vanished source into a delete', async () => {
    mkdirSync(path.join(clone, 'app', 'new', 'deep'), { recursive: true });
    writeFileSync(path.join(clone, 'app', 'views.py'), 'print("v2")\n');
    writeFileSync(path.join(clone, 'app', 'new', 'deep', 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(path.join(clone, 'app', 'new', 'deep', 'run.sh'), 0o755);
    inContainer(container, 'sh', '-c', 'echo stale > /app/app/vanished.txt');
    const outcome = await syncIntoContainer('api', container, clone, {
      writes: [
        { source: 'app/views.py', target: '/app/app/views.py' },
        { source: 'app/new', target: '/app/app/new' },
        { source: 'app/new/deep/run.sh', target: '/app/app/new/deep/run.sh' },
        { source: 'app/vanished.txt', target: '/app/app/vanished.txt' },
      ],
      deletes: ['/app/app/gone.txt'],
    });
    expect(outcome).toEqual({ files: 2, folders: 1, deleted: 2, skipped: [] });
    expect(inContainer(container, 'cat', '/app/app/views.py')).toBe('print("v2")');
    expect(inContainer(container, 'stat', '-c', '%a', '/app/app/new/deep/run.sh')).toBe('755');
    expect(inContainer(container, '/app/app/new/deep/run.sh')).toBe('hi');
    expect(inContainer(container, 'sh', '-c', 'ls /app/app | sort | tr "\\n" " "')).toBe('new views.py');
  });

  it('never follows a symbolic link: it is skipped and said, and nothing of its target reaches the container', async () => {
    writeFileSync(path.join(clone, 'secret'), 'laptop only\n');
    symlinkSync(path.join(clone, 'secret'), path.join(clone, 'link'));
    const outcome = await syncIntoContainer('api', container, clone, { writes: [{ source: 'link', target: '/app/link' }], deletes: [] });
    expect(outcome.skipped).toEqual([{ source: 'link', why: 'a symbolic link (never followed)' }]);
    expect(outcome.files).toBe(0);
    expect(() => inContainer(container, 'ls', '/app/link')).toThrow();
  });

  it('never follows a folder of the clone replaced by a symbolic link to elsewhere: its files are skipped and said', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'live-sync-outside-'));
    try {
      writeFileSync(path.join(outside, 'id_rsa'), 'laptop only\n');
      mkdirSync(path.join(clone, 'app'));
      writeFileSync(path.join(clone, 'app', 'ok.txt'), 'ok\n');
      symlinkSync(outside, path.join(clone, 'keys'));
      const outcome = await syncIntoContainer('api', container, clone, {
        writes: [
          { source: 'keys/id_rsa', target: '/app/keys/id_rsa' },
          { source: 'app/ok.txt', target: '/app/app/ok.txt' },
        ],
        deletes: [],
      });
      expect(outcome.files).toBe(1);
      expect(outcome.skipped).toEqual([{ source: 'keys/id_rsa', why: expect.stringMatching(/^below a symbolic link \(keys leads to .*; never followed\)$/) }]);
      expect(() => inContainer(container, 'ls', '/app/keys/id_rsa')).toThrow();
      expect(inContainer(container, 'cat', '/app/app/ok.txt')).toBe('ok');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('says a container that is gone in one sentence with the fix', async () => {
    writeFileSync(path.join(clone, 'a.txt'), 'a\n');
    const error = await syncIntoContainer('api', 'ffffffffffff0000', clone, { writes: [{ source: 'a.txt', target: '/a.txt' }], deletes: [] }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DockerError);
    expect((error as DockerError).describe()).toMatch(/api: its container ffffffffffff is gone or stopped[\s\S]*fix: start it again with `nx run api:up`/);
  });
});

describe('archiveName', () => {
  it('names a target from "/" and refuses anything that is not a normalized absolute path below it', () => {
    expect(archiveName('/app/app/views.py')).toBe('app/app/views.py');
    for (const bad of ['app/x', '/app/../etc/passwd', '/', '/app/', '/app//x']) expect(() => archiveName(bad)).toThrow(/invariant broken/);
  });
});
