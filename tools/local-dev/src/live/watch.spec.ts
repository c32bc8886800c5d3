/**
 * The clone watcher on a real folder with the OS's real file events (@parcel/watcher, inotify here).
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FileChange } from './plan';
import { changesOf, newChanges, watchClone, type CloneWatch } from './watch';

jest.setTimeout(30_000);

let clone: string;
let watch: CloneWatch | undefined;
let bursts: FileChange[][];
let errors: unknown[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; bursts: ${JSON.stringify(bursts)}`);
    await sleep(20);
  }
}
const paths = (burst: FileChange[]) => [...new Set(burst.map((change) => `${change.kind} ${change.path}`))].sort();

beforeEach(async () => {
  clone = mkdtempSync(path.join(tmpdir(), 'live-watch-'));
  mkdirSync(path.join(clone, '.git'));
  mkdirSync(path.join(clone, 'app'));
  bursts = [];
  errors = [];
  watch = await watchClone(
    clone,
    async (changes) => {
      bursts.push(changes);
    },
    (error) => errors.push(error),
  );
});
afterEach(async () => {
  await watch?.close();
  rmSync(clone, { recursive: true, force: true });
});

describe('watchClone', () => {
  it('gathers a burst of writes into one list, and says nothing of .git/ or node_modules/', async () => {
    for (let index = 0; index < 50; index++) writeFileSync(path.join(clone, 'app', `f${index}.py`), `${index}\n`);
    writeFileSync(path.join(clone, '.git', 'index'), 'x');
    mkdirSync(path.join(clone, 'app', 'node_modules'));
    writeFileSync(path.join(clone, 'app', 'node_modules', 'dep.js'), 'x');
    await until(() => bursts.length > 0);
    await sleep(400);
    expect(bursts).toHaveLength(1);
    const seen = paths(bursts[0]);
    expect(seen.filter((entry) => entry.startsWith('write app/f'))).toHaveLength(50);
    expect(seen.some((entry) => entry.includes('.git') || entry.includes('node_modules/'))).toBe(false);
    expect(errors).toEqual([]);
  });

  it('hands on a folder moved in whole with the files inside it, and a delete as a delete', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'live-watch-outside-'));
    mkdirSync(path.join(outside, 'pkg', 'sub'), { recursive: true });
    writeFileSync(path.join(outside, 'pkg', 'sub', 'a.py'), 'a\n');
    writeFileSync(path.join(clone, 'app', 'old.py'), 'old\n');
    await until(() => bursts.length === 1);
    rmSync(path.join(clone, 'app', 'old.py'));
    renameSync(path.join(outside, 'pkg'), path.join(clone, 'app', 'pkg'));
    await until(() => bursts.length === 2);
    expect(paths(bursts[1])).toEqual(['delete app/old.py', 'write app/pkg', 'write app/pkg/sub', 'write app/pkg/sub/a.py']);
    rmSync(outside, { recursive: true, force: true });
  });

  it('calls nothing while nothing changes', async () => {
    await sleep(500);
    expect(bursts).toEqual([]);
  });
});

describe('newChanges', () => {
  it('hands a write on once per version of the file: the late events of files already handed on (a folder moved in whole) are dropped', () => {
    const handedOn = new Map<string, string>();
    const file = path.join(clone, 'app', 'a.py');
    writeFileSync(file, 'one\n');
    const write: FileChange = { path: 'app/a.py', kind: 'write' };
    expect(newChanges(clone, [write, write], handedOn)).toEqual([write]);
    expect(newChanges(clone, [write], handedOn)).toEqual([]);
    writeFileSync(file, 'two\n');
    expect(newChanges(clone, [write], handedOn)).toEqual([write]);
    rmSync(file);
    expect(newChanges(clone, [{ path: 'app/a.py', kind: 'delete' }], handedOn)).toEqual([{ path: 'app/a.py', kind: 'delete' }]);
    writeFileSync(file, 'two\n');
    expect(newChanges(clone, [write], handedOn)).toEqual([write]);
  });
});

describe('changesOf', () => {
  it('makes paths clone-relative and posix; the clone itself and paths outside it are no change', () => {
    expect(
      changesOf('/w/cloned/api', [
        { path: '/w/cloned/api/app/x.py', type: 'update' },
        { path: '/w/cloned/api/app/y.py', type: 'delete' },
        { path: '/w/cloned/api', type: 'update' },
        { path: '/w/cloned/other/z', type: 'create' },
      ]),
    ).toEqual([
      { change: { path: 'app/x.py', kind: 'write' }, created: false },
      { change: { path: 'app/y.py', kind: 'delete' }, created: false },
    ]);
  });
});
