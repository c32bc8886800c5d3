import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomically } from './atomic-write';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-atomic-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('writeFileAtomically', () => {
  it("keeps the replaced file's mode: a private file stays private, a script stays executable", () => {
    const secret = path.join(root, 'secret.env');
    const script = path.join(root, 'run.sh');
    writeFileSync(secret, 'old');
    chmodSync(secret, 0o600);
    writeFileSync(script, 'old');
    chmodSync(script, 0o755);
    writeFileAtomically(secret, 'TOKEN=new\n');
    writeFileAtomically(script, '#!/bin/sh\n');
    expect([readFileSync(secret, 'utf8'), modeOf(secret)]).toEqual(['TOKEN=new\n', 0o600]);
    expect([readFileSync(script, 'utf8'), modeOf(script)]).toEqual(['#!/bin/sh\n', 0o755]);
  });

  it('gives exactly the mode asked for, whatever the umask and the replaced file had', () => {
    const file = path.join(root, 'x');
    writeFileAtomically(file, 'a', { mode: 0o640 });
    expect(modeOf(file)).toBe(0o640);
    writeFileAtomically(file, 'b', { mode: 0o666 }); // wider than the umask (022) lets through
    expect(modeOf(file)).toBe(0o666);
    writeFileAtomically(file, 'c', { mode: 0o4755 }); // setuid is never carried over
    expect(modeOf(file)).toBe(0o755);
  });

  it('creates a new file as writeFileSync would (0666 minus the umask)', () => {
    const umask = process.umask(0o027);
    try {
      writeFileAtomically(path.join(root, 'new'), 'x');
      writeFileSync(path.join(root, 'reference'), 'x');
    } finally {
      process.umask(umask);
    }
    expect(modeOf(path.join(root, 'new'))).toBe(0o640);
    expect(modeOf(path.join(root, 'new'))).toBe(modeOf(path.join(root, 'reference')));
  });

  // Durability cannot be shown without cutting the power; strace shows the system calls that give it.
  const itWithStrace = spawnSync('strace', ['-V']).status === 0 ? it : it.skip;
  itWithStrace('fsyncs the content before the rename and the folder after it (seen with strace)', () => {
    const file = path.join(root, 'durable');
    const script = `require(${JSON.stringify(require.resolve('./atomic-write'))}).writeFileAtomically(${JSON.stringify(file)}, 'x')`;
    const traced = spawnSync(
      'strace',
      ['-f', '-y', '-qq', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', process.execPath, '-r', require.resolve('@swc-node/register'), '-e', script],
      { encoding: 'utf8' },
    );
    expect(traced.status).toBe(0);
    const calls = traced.stderr
      .split('\n')
      .filter((line) => line.includes(root))
      .map((line) =>
        line
          .replace(/^\[pid +\d+\] /, '')
          .replace(/\d+</, '<')
          .replace(/\.\d+\.[0-9a-f]+\.tmp/g, '.tmp')
          .replace(/ += 0$/, ''),
      );
    expect(calls).toEqual([`fsync(<${root}/.durable.tmp>)`, `rename("${root}/.durable.tmp", "${file}")`, `fsync(<${root}>)`]);
  });

  it('leaves no temporary file behind when the write fails, and rethrows', () => {
    mkdirSync(path.join(root, 'a-folder'));
    expect(() => writeFileAtomically(path.join(root, 'a-folder'), 'x')).toThrow(/EISDIR|EEXIST|ENOTEMPTY/);
    expect(() => writeFileAtomically(path.join(root, 'missing/x'), 'x')).toThrow(/ENOENT/);
    expect(readdirSync(root)).toEqual(['a-folder']);
    expect(readdirSync(path.join(root, 'a-folder'))).toEqual([]);
  });
});
