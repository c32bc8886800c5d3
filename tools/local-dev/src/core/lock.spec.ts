/** The one lock, on real files with real processes: holders are separate node processes. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from './errors';
import { acquireLock, readLockHolder, releaseLock, shortCommand, unwrittenWarning, withLock, type LockHolder, type LockOptions } from './lock';
import { processStartTime } from './proc';

let folder: string;
let lockPath: string;
let lines: string[];
let children: ChildProcess[];

/** The module as Nx tasks load it: precompiled (runtime/compiled.js), so a holder starts as a bare `node`. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const LOCK_MODULE = (require('../../runtime/compiled.js') as { compiledPath(relative: string): string }).compiledPath('src/core/lock');

function options(changes: Partial<LockOptions> = {}): LockOptions {
  return {
    subject: 'service svc-0',
    purpose: 'up svc-0',
    log: (line) => lines.push(line),
    timeoutError: (message, fix) => new UsageError(message, { fix }),
    pollMs: 20,
    ...changes,
  };
}

beforeEach(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-core-lock-'));
  lockPath = path.join(folder, 'locks', 'svc-0.lock');
  lines = [];
  children = [];
});
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

/**
 * A separate node process that takes the lock with the real module, says "held" and keeps it
 * until its stdin closes (or for `holdMs`), appending "<name> starts/ends" to `events` meanwhile.
 */
function startHolder(name: string, settings: { holdMs?: number; events?: string } = {}): { child: ChildProcess; held: Promise<void>; exited: Promise<string> } {
  const script = `
    const fs = require('node:fs');
    const { withLock } = require(${JSON.stringify(LOCK_MODULE)});
    const events = ${JSON.stringify(settings.events ?? '')};
    const note = (text) => events && fs.appendFileSync(events, text + '\\n');
    const opts = { subject: 'service svc-0', purpose: ${JSON.stringify(`holder ${name}`)}, log: (line) => console.log(line), pollMs: 20,
      timeoutError: (message) => new Error(message) };
    withLock(${JSON.stringify(lockPath)}, opts, async () => {
      note(${JSON.stringify(`${name} starts`)});
      console.log('held');
      await new Promise((resolve) => ${settings.holdMs === undefined ? "process.stdin.on('close', resolve).resume()" : `setTimeout(resolve, ${settings.holdMs})`});
      note(${JSON.stringify(`${name} ends`)});
    }).catch((error) => { console.log('failed: ' + error.message); process.exitCode = 1; });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  const held = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/^held$/m.test(output)) resolve();
    });
    child.once('exit', () => reject(new Error(`holder ${name} exited before holding the lock:\n${output}`)));
  });
  held.catch(() => undefined);
  const exited = new Promise<string>((resolve) => child.once('exit', () => resolve(output)));
  return { child, held, exited };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

it('holds the lock in a complete record naming the owner, and removes it however the work ends', async () => {
  await withLock(lockPath, options(), async () => {
    expect(readdirSync(path.dirname(lockPath))).toEqual(['svc-0.lock']);
    expect(readLockHolder(lockPath)).toMatchObject({
      pid: process.pid,
      startTime: processStartTime(process.pid),
      purpose: 'up svc-0',
      commandPid: process.pid,
    });
  });
  await expect(withLock(lockPath, options(), async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(readdirSync(path.dirname(lockPath))).toEqual([]);
});

it('makes a second process wait, saying whom it waits for (command and pid) and for how long', async () => {
  const holder = startHolder('A', { holdMs: 1600 });
  await holder.held;
  const startedAt = Date.now();
  const lock = await acquireLock(lockPath, options({ reportEveryMs: 700 }));
  expect(Date.now() - startedAt).toBeGreaterThan(1000);
  releaseLock(lock);
  const pid = holder.child.pid!;
  expect(lines[0]).toMatch(
    new RegExp(`^waiting for service svc-0: in use by \`\\S*node -e .*\` \\(pid ${pid}; holder A, for 0 s\\); waited 0 s so far \\(gives up after 600 s\\)$`),
  );
  expect(lines.slice(1).join('\n')).toMatch(
    new RegExp(`^still waiting for service svc-0: in use by .*\\(pid ${pid}; holder A, for 1 s\\); waited 1 s so far`, 'm'),
  );
});

it('takes over at once from an owner that was SIGKILLed, naming it', async () => {
  const holder = startHolder('A');
  await holder.held;
  await kill9(holder.child);
  // timeoutMs 0: a live owner would fail this at once; a dead one must not be waited for at all.
  releaseLock(await acquireLock(lockPath, options({ timeoutMs: 0 })));
  expect(lines).toEqual([
    expect.stringMatching(
      new RegExp(`^took over the lock on service svc-0 left by \`.*\` \\(pid ${holder.child.pid}; holder A\\), which is no longer running$`),
    ),
  ]);
  expect(existsSync(lockPath)).toBe(false);
});

it('takes over from an owner whose pid now belongs to another process, started later', async () => {
  const dead = startHolder('A');
  await dead.held;
  const deadRecord = readLockHolder(lockPath)!;
  await kill9(dead.child);
  // Another process now runs under the recorded pid: the recorded start time is not its start time.
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  children.push(other);
  await new Promise((resolve) => other.once('spawn', resolve));
  writeFileSync(lockPath, JSON.stringify({ ...deadRecord, pid: other.pid!, commandPid: other.pid! } satisfies LockHolder));
  expect(processStartTime(other.pid!)).not.toBe(deadRecord.startTime);
  releaseLock(await acquireLock(lockPath, options({ timeoutMs: 0 })));
  expect(lines).toEqual([expect.stringContaining(`(pid ${other.pid}; holder A), which is no longer running`)]);
  // …while the same live process with its own start time is a live owner, and is waited for.
  writeFileSync(
    lockPath,
    JSON.stringify({ ...deadRecord, pid: other.pid!, commandPid: other.pid!, startTime: processStartTime(other.pid!) } satisfies LockHolder),
  );
  await expect(acquireLock(lockPath, options({ timeoutMs: 100 }))).rejects.toThrow(
    new RegExp(`^still in use by another local-dev command after waiting 0 s: .*\\(pid ${other.pid}; holder A, for \\d+ s\\)$`),
  );
});

it("gives up after the timeout with the caller's error, naming the holder and the fix", async () => {
  const holder = startHolder('A');
  await holder.held;
  const waiting = acquireLock(lockPath, options({ timeoutMs: 300 }));
  await expect(waiting).rejects.toThrow(UsageError);
  await waiting.catch((error: UsageError) =>
    expect(error.fix).toBe(
      `let that command finish, or stop it (kill ${holder.child.pid}) and run again; a lock left by a command that has ended is taken over automatically (lock file: ${lockPath})`,
    ),
  );
  holder.child.stdin!.end();
  expect(await holder.exited).toBe('held\n');
  expect(existsSync(lockPath)).toBe(false);
});

it('lets exactly one of several processes take over a stale lock; they then run one at a time', async () => {
  const dead = startHolder('dead');
  await dead.held;
  await kill9(dead.child);
  const events = path.join(folder, 'events');
  writeFileSync(events, '');
  const racers = ['A', 'B', 'C', 'D'].map((name) => startHolder(name, { holdMs: 100, events }));
  const outputs = await Promise.all(racers.map((racer) => racer.exited));
  expect(outputs.join('').match(/took over the lock/g)).toHaveLength(1);
  const order = readFileSync(events, 'utf8').trim().split('\n');
  expect(order).toHaveLength(8);
  for (let index = 0; index < order.length; index += 2) expect(order[index + 1]).toBe(order[index].replace('starts', 'ends'));
  expect(readdirSync(path.dirname(lockPath))).toEqual([]);
});

it('never removes a lock that is no longer its own', async () => {
  const lock = await acquireLock(lockPath, options());
  writeFileSync(lockPath, JSON.stringify({ ...readLockHolder(lockPath)!, nonce: 'someone-else' }));
  releaseLock(lock);
  expect(existsSync(lockPath)).toBe(true);
});

it('records the command the user ran, not the Nx worker processes between it and the task', () => {
  // A stand-in for Nx's process chain: `node …/node_modules/.bin/nx run-many -t up` starts
  // `node …/node_modules/nx/bin/run-executor.js`, which takes the lock.
  const nxBin = path.join(folder, 'node_modules', '.bin', 'nx');
  const executor = path.join(folder, 'node_modules', 'nx', 'bin', 'run-executor.js');
  mkdirSync(path.dirname(nxBin), { recursive: true });
  mkdirSync(path.dirname(executor), { recursive: true });
  writeFileSync(
    nxBin,
    `const { spawnSync } = require('node:child_process');
    const child = spawnSync(process.execPath, [${JSON.stringify(executor)}], { encoding: 'utf8' });
    process.stdout.write(JSON.stringify({ me: process.pid, executor: child.stdout + child.stderr }));`,
  );
  chmodSync(nxBin, 0o755);
  writeFileSync(executor, `process.stdout.write(JSON.stringify(require(${JSON.stringify(LOCK_MODULE)}).commandOfThisRun()));`);
  const run = spawnSync(process.execPath, [nxBin, 'run-many', '-t', 'up'], { encoding: 'utf8' });
  const { me, executor: seen } = JSON.parse(run.stdout) as { me: number; executor: string };
  expect(JSON.parse(seen)).toEqual({ command: 'nx run-many -t up', pid: me });
});

it('shortens the node path of nx in the command it shows', () => {
  expect(shortCommand('/usr/bin/node /w/node_modules/.bin/nx run-many -t up --namespace=s1')).toBe('nx run-many -t up --namespace=s1');
  expect(shortCommand('node /w/node_modules/nx/bin/nx.js run svc-0:down')).toBe('nx run svc-0:down');
  expect(shortCommand('make run s1')).toBe('make run s1');
  expect(shortCommand('node -e \n  a()\n  b()\n')).toBe('node -e a() b()');
  expect(shortCommand(`node ${'x'.repeat(200)}`)).toHaveLength(158);
});

/**
 * Runs `script` in a node process of its own (the real module, as Nx tasks load it), killed after
 * `timeoutMs`: a lock that spins forever fails the test instead of hanging it. `prefix` runs it
 * through another program first (unshare, to change what the file system allows).
 */
function runLockScript(
  script: string,
  { timeoutMs = 15_000, prefix = [] as string[] } = {},
): { status: number | null; signal: NodeJS.Signals | null; output: string; ms: number } {
  const started = Date.now();
  const command = [...prefix, process.execPath, '-e', `const lock = require(${JSON.stringify(LOCK_MODULE)});\n${script}`];
  const run = spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { status: run.status, signal: run.signal, output: `${run.stdout}${run.stderr}`, ms: Date.now() - started };
}

const SCRIPT_OPTIONS = `{ subject: 'service svc-0', purpose: 'stop svc-0', log: (line) => console.log(line), pollMs: 20, timeoutError: (message) => new Error(message) }`;

describe('a lock path that is not a plain file', () => {
  it('a dangling symlink: refused at once, naming it, its target and the fix (it used to spin at 100 % CPU forever)', () => {
    mkdirSync(path.dirname(lockPath), { recursive: true });
    symlinkSync('/nonexistent/elsewhere.lock', lockPath);
    const run = runLockScript(`lock.acquireLock(${JSON.stringify(lockPath)}, ${SCRIPT_OPTIONS}).then(
      () => console.log('acquired'),
      (error) => { console.log(error.constructor.name + ': ' + error.message + '\\nfix: ' + error.fix); process.exitCode = 1; });`);
    expect({ status: run.status, signal: run.signal, output: run.output }).toEqual({
      status: 1,
      signal: null,
      output: `UsageError: service svc-0: cannot take the lock: ${lockPath} is a symbolic link to /nonexistent/elsewhere.lock, which does not exist, not a lock file (local-dev makes its locks as plain files)\nfix: remove it (rm ${lockPath}) and run the command again\n`,
    });
    // The link is the user's to look at: neither followed nor removed.
    expect(readlinkSync(lockPath)).toBe('/nonexistent/elsewhere.lock');
  });

  it('a symlink to a file, or a folder: refused the same way, and left as it is', async () => {
    mkdirSync(path.dirname(lockPath), { recursive: true });
    const elsewhere = path.join(folder, 'elsewhere.txt');
    writeFileSync(elsewhere, 'not a lock\n');
    symlinkSync(elsewhere, lockPath);
    await expect(acquireLock(lockPath, options({ timeoutMs: 0 }))).rejects.toThrow(`${lockPath} is a symbolic link to ${elsewhere}, not a lock file`);
    expect(readFileSync(elsewhere, 'utf8')).toBe('not a lock\n');
    rmSync(lockPath);
    mkdirSync(lockPath);
    const refused = acquireLock(lockPath, options({ timeoutMs: 0 }));
    await expect(refused).rejects.toThrow(`${lockPath} is a folder, not a lock file`);
    await refused.catch((error: UsageError) => expect(error.fix).toBe(`remove it (rm -r ${lockPath}) and run the command again`));
    expect(existsSync(lockPath)).toBe(true);
  });
});

describe('work that frees things, when the lock folder refuses writes (withLockIfWritable)', () => {
  /**
   * The lock folder made read-only (a read-only bind mount) or full (a full 16 kB tmpfs) for the
   * child alone, in a mount namespace of its own: it dies with the child. The tests run as root,
   * whom chmod does not stop; these refuse root too, with a read-only or a full disk's own error.
   */
  const readOnly = () => [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"',
    'sh',
    path.dirname(lockPath),
  ];
  const full = () => [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    'mount -t tmpfs -o size=16k tmpfs "$1" && head -c 16384 /dev/zero > "$1/filler" && shift && exec "$@"',
    'sh',
    path.dirname(lockPath),
  ];
  const freeing = (events = '') => `
    const fs = require('node:fs');
    const problems = [];
    lock.withLockIfWritable(${JSON.stringify(lockPath)}, ${SCRIPT_OPTIONS}, async () => {
      ${events ? `fs.appendFileSync(${JSON.stringify(events)}, 'stop starts\\n');` : ''}
      console.log('work done; lock file there: ' + fs.existsSync(${JSON.stringify(lockPath)}));
    }, (problem) => problems.push(problem)).then(
      () => console.log('unwritten: ' + JSON.stringify(problems) + '; in the folder: ' + fs.readdirSync(${JSON.stringify(path.dirname(lockPath))}).join(',')),
      (error) => { console.log('failed: ' + error.message); process.exitCode = 1; });`;

  beforeEach(() => mkdirSync(path.dirname(lockPath), { recursive: true }));

  it('read-only: the work runs without the lock, and the caller hears why', () => {
    const run = runLockScript(freeing(), { prefix: readOnly() });
    expect(run.status).toBe(0);
    expect(run.output).toMatch(
      /^work done; lock file there: false\nunwritten: \["the lock on service svc-0 \(EROFS: read-only file system, open '[^']+svc-0\.lock\.\d+-[0-9a-f]+\.tmp'\)"\]; in the folder: \n$/,
    );
  });

  it('full: the work runs without the lock, and no half-written temp file is left behind', () => {
    const run = runLockScript(freeing(), { prefix: full() });
    expect(run.status).toBe(0);
    expect(run.output).toMatch(
      /^work done; lock file there: false\nunwritten: \["the lock on service svc-0 \(ENOSPC: no space left on device, write\)"\]; in the folder: filler\n$/,
    );
  });

  it("full: other work fails with the disk's own error, and leaves no half-written temp file either", () => {
    const run = runLockScript(
      `lock.withLock(${JSON.stringify(lockPath)}, ${SCRIPT_OPTIONS}, async () => console.log('work done')).catch((error) => console.log('failed: ' + error.code))
      .then(() => console.log('in the folder: ' + require('node:fs').readdirSync(${JSON.stringify(path.dirname(lockPath))}).join(',')));`,
      { prefix: full() },
    );
    expect(run.output).toBe('failed: ENOSPC\nin the folder: filler\n');
  });

  it("read-only: a live owner's lock is still waited for; the work starts once it has ended", async () => {
    const events = path.join(folder, 'events');
    writeFileSync(events, '');
    const holder = startHolder('up', { events });
    await holder.held;
    const [command, ...args] = [...readOnly(), process.execPath, '-e', `const lock = require(${JSON.stringify(LOCK_MODULE)});\n${freeing(events)}`];
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // The owner ends only once the freeing command has said it waits for it.
    for (const deadline = Date.now() + 15_000; !output.includes('waiting for service svc-0: in use by') && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(output).toContain(`waiting for service svc-0: in use by \``);
    holder.child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    expect(await exited).toBe(0);
    clearTimeout(timer);
    expect(readFileSync(events, 'utf8')).toBe('up starts\nup ends\nstop starts\n');
    expect(output).toContain('work done; lock file there: false\nunwritten: ["the lock on service svc-0 (EROFS: read-only file system');
  });

  it("read-only: other work (withLock, or no `unwritable`) still fails with the file system's error", () => {
    const run = runLockScript(
      `(async () => {
      for (const take of [lock.withLock, lock.withLockIfWritable]) {
        await take(${JSON.stringify(lockPath)}, ${SCRIPT_OPTIONS}, async () => console.log('work done')).catch((error) => console.log('failed: ' + error.code));
      }
    })();`,
      { prefix: readOnly() },
    );
    expect(run.output).toBe('failed: EROFS\nfailed: EROFS\n');
  });
});

it('says what a freeing command could not write, once, with the fix; nothing when it wrote everything', () => {
  expect(unwrittenWarning('stack:stop', [])).toBeUndefined();
  expect(unwrittenWarning('stack:stop', ['the lock on a (EROFS: x)', 'the lock on b (ENOSPC: y)'])).toBe(
    [
      '⚠ stack:stop: logs/ refused these writes; the work went on without them:',
      '  - the lock on a (EROFS: x)',
      '  - the lock on b (ENOSPC: y)',
      '  fix: make logs/ writable again (free disk space, or make it read-write) before the next run',
    ].join('\n'),
  );
});
