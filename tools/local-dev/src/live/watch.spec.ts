/**
 * The clone watcher on a real folder with the OS's real file events (@parcel/watcher, inotify here).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FileChange } from './plan';
import { changesOf, newChanges, snapshotAtRegistration, watchClone, type CloneWatch, type Handover } from './watch';

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

  it('goes on after a burst with nothing new (an event of a file as it was already handed on)', async () => {
    writeFileSync(path.join(clone, 'app', 'a.py'), 'a\n');
    await until(() => bursts.length === 1);
    chmodSync(path.join(clone, 'app', 'a.py'), 0o644); // an event, the same version: nothing to hand on
    await sleep(300);
    writeFileSync(path.join(clone, 'app', 'b.py'), 'b\n');
    await until(() => bursts.length === 2);
    expect(paths(bursts[1])).toEqual(['write app/b.py']);
  });

  it('gathers a real git checkout (1,000 new files in a new folder and an edited file, written last) into ONE burst', async () => {
    await watch?.close();
    rmSync(clone, { recursive: true, force: true });
    clone = mkdtempSync(path.join(tmpdir(), 'live-watch-git-'));
    const git = (...args: string[]) => execFileSync('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    mkdirSync(path.join(clone, 'app'));
    writeFileSync(path.join(clone, 'app', 'zz_view.py'), 'old\n');
    git('add', '-A');
    git('commit', '-qm', 'main');
    git('checkout', '-qb', 'other');
    mkdirSync(path.join(clone, 'app', 'many'));
    for (let index = 0; index < 1000; index++) writeFileSync(path.join(clone, 'app', 'many', `f${index}.py`), `${index}\n`);
    writeFileSync(path.join(clone, 'app', 'zz_view.py'), 'new\n');
    git('add', '-A');
    git('commit', '-qm', 'other');
    git('checkout', '-q', 'main');
    watch = await watchClone(
      clone,
      async (changes) => {
        bursts.push(changes);
      },
      (error) => errors.push(error),
      { busy: () => existsSync(path.join(clone, '.git', 'index.lock')) },
    );
    git('checkout', '-q', 'other');
    await until(() => bursts.flat().some((change) => change.path === 'app/zz_view.py'), 10_000);
    await sleep(1500);
    expect(bursts.map((burst) => paths(burst).length)).toEqual([1002]);
  });

  it('keeps a big burst whose last events come 300 ms late (a loaded laptop after a checkout) in ONE burst', async () => {
    for (let index = 0; index < 300; index++) writeFileSync(path.join(clone, 'app', `f${index}.py`), `${index}\n`);
    await sleep(300);
    writeFileSync(path.join(clone, 'app', 'view.py'), 'new\n');
    await until(() => bursts.flat().some((change) => change.path === 'app/view.py'));
    await sleep(800);
    expect(bursts.map((burst) => paths(burst).length)).toEqual([301]);
  });

  it("keeps a git command's burst whole when its last event comes after git dropped its lock", async () => {
    await watch?.close();
    let gitBusy = true;
    watch = await watchClone(
      clone,
      async (changes) => {
        bursts.push(changes);
      },
      (error) => errors.push(error),
      { busy: () => gitBusy },
    );
    for (let index = 0; index < 5; index++) writeFileSync(path.join(clone, 'app', `f${index}.py`), `${index}\n`);
    await sleep(300);
    gitBusy = false;
    await sleep(250);
    writeFileSync(path.join(clone, 'app', 'view.py'), 'new\n');
    await until(() => bursts.flat().some((change) => change.path === 'app/view.py'));
    await sleep(800);
    expect(bursts.map((burst) => paths(burst).length)).toEqual([6]);
  });

  it('calls nothing while nothing changes', async () => {
    await sleep(500);
    expect(bursts).toEqual([]);
  });
});

describe('nothing lost: changes not carried out, and changes while no watch runs', () => {
  let handover: Handover;
  let others: CloneWatch[];
  beforeEach(async () => {
    await watch?.close();
    watch = undefined;
    const dir = mkdtempSync(path.join(tmpdir(), 'live-handover-'));
    handover = { snapshot: path.join(dir, 'api.watch-snapshot'), owed: path.join(dir, 'api.watch-owed.json') };
    others = [];
  });
  afterEach(async () => {
    for (const other of others) await other.abort();
    rmSync(path.dirname(handover.snapshot), { recursive: true, force: true });
  });
  const start = async (onBurst: (changes: FileChange[]) => Promise<FileChange[] | void>) => {
    const started = await watchClone(clone, onBurst, (error) => errors.push(error), { handover });
    others.push(started);
    return started;
  };
  const recording = async (changes: FileChange[]) => {
    bursts.push(changes);
  };

  it('a change the handler could not carry out (the container was gone) goes with the next burst', async () => {
    let failing = true;
    await start(async (changes) => {
      bursts.push(changes);
      return failing ? changes : [];
    });
    write('app/a.py', 'a\n');
    await until(() => bursts.length === 1);
    failing = false;
    write('app/b.py', 'b\n');
    await until(() => bursts.length === 2);
    expect(paths(bursts[1])).toEqual(['write app/a.py', 'write app/b.py']);
  });

  it('hands on what changed while no watch ran (the snapshot a closing watch leaves), and what it still owed', async () => {
    const first = await start(async (changes) => {
      bursts.push(changes);
      return changes.filter((change) => change.path === 'app/owed.py');
    });
    write('app/owed.py', 'owed\n');
    await until(() => bursts.length === 1);
    await first.close();
    write('app/meanwhile.py', 'written while nobody watched\n');
    rmSync(path.join(clone, 'app', 'owed.py'));
    write('app/owed.py', 'owed, v2\n');
    await start(recording);
    await until(() => bursts.length === 2);
    expect(paths(bursts[1])).toEqual(['write app/meanwhile.py', 'write app/owed.py']);
    expect(existsSync(handover.owed)).toBe(false);
  });

  it('hands on what changed between a dev process registering (its snapshot) and the first watch', async () => {
    await snapshotAtRegistration(clone, handover, false);
    write('app/early.py', 'before the watch\n');
    await start(recording);
    await until(() => bursts.length === 1);
    expect(paths(bursts[0])).toEqual(['write app/early.py']);
  });

  it('a dev process registering keeps the handover of another one still running, and drops an old one when none runs (up just made its container the clone)', async () => {
    const first = await start(async (changes) => changes);
    write('app/owed.py', 'owed\n');
    await sleep(400);
    await first.close();
    write('app/handed.py', 'after the close\n');
    await snapshotAtRegistration(clone, handover, true);
    expect(existsSync(handover.owed)).toBe(true);
    await snapshotAtRegistration(clone, handover, false);
    expect(existsSync(handover.owed)).toBe(false);
    await start(recording);
    await sleep(500);
    expect(bursts).toEqual([]);
  });

  it('abort does not wait for the burst being handled: its changes are handed over as owed', async () => {
    const aborting = await start(async (changes) => {
      bursts.push(changes);
      await new Promise(() => undefined); // a rebuild that takes minutes
    });
    write('app/slow.py', 'slow\n');
    await until(() => bursts.length === 1);
    await aborting.abort();
    expect(JSON.parse(readFileSync(handover.owed, 'utf8'))).toEqual([{ path: 'app/slow.py', kind: 'write' }]);
  });
});

function write(file: string, content: string): void {
  mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
  writeFileSync(path.join(clone, file), content);
}

describe('newChanges', () => {
  it('a path whose folder became a file since the event (ENOTDIR) is handed on as gone, the rest of the burst with it', () => {
    writeFileSync(path.join(clone, 'was-a-folder'), 'now a file\n');
    writeFileSync(path.join(clone, 'app', 'b.py'), 'b\n');
    const changes: FileChange[] = [
      { path: 'was-a-folder/a.py', kind: 'write' },
      { path: 'app/b.py', kind: 'write' },
    ];
    expect(newChanges(clone, changes, new Map())).toEqual(changes);
  });

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
