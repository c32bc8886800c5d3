/**
 * Process facts on real processes: running, exited, zombie, reused pid, parent, a port's listener.
 * Linux reads /proc; the macOS way (`ps`, platform 'darwin' passed in) runs here against Linux's
 * procps `ps`, which takes the same options and prints lstart the same way; its parser is also
 * tested on output as macOS prints it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  isProcessAlive,
  listeningSocketInodes,
  liveCommandLine,
  parentPid,
  parsePsOutput,
  parseProcStat,
  processStartTime,
  sameProcess,
  socketOwnerPid,
} from './proc';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts `command` and resolves once its first line of output arrives. */
function start(command: string, args: string[]): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve({ child, firstLine: output.split('\n')[0] });
    });
    child.once('exit', () => reject(new Error(`${command} exited early: ${output}`)));
  });
}

/** The pid of a process that has run and exited (reaped), so nothing is running under it now. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

it('knows a running process, its start time, command line and parent', async () => {
  const { child } = await start(process.execPath, ['-e', 'console.log("up"); setTimeout(() => {}, 60000)', 'an argument']);
  const pid = child.pid!;
  expect(isProcessAlive(pid)).toBe(true);
  expect(processStartTime(pid)).toMatch(/^\d+$/);
  expect(isProcessAlive(pid, processStartTime(pid))).toBe(true);
  expect(liveCommandLine(pid)).toBe(`${process.execPath} -e console.log("up"); setTimeout(() => {}, 60000) an argument`);
  expect(parentPid(pid)).toBe(process.pid);
});

it('treats an exited pid, a zombie and a pid with another start time as not running', async () => {
  const gone = deadPid();
  expect([isProcessAlive(gone), liveCommandLine(gone), parentPid(gone), processStartTime(gone)]).toEqual([false, undefined, undefined, '']);
  // The background sleep exits after 0.2 s, and its parent (exec'd into `sleep 30`) never reaps it.
  const { firstLine } = await start('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30']);
  const zombie = Number(firstLine);
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect([isProcessAlive(zombie), liveCommandLine(zombie)]).toEqual([false, undefined]);
  // A running pid recorded with another start time is someone else now.
  expect(isProcessAlive(process.pid, '1')).toBe(false);
  expect(liveCommandLine(process.pid, '1')).toBeUndefined();
  expect([isProcessAlive(0), isProcessAlive(-1), liveCommandLine(0)]).toEqual([false, false, undefined]);
});

it('finds the process listening on a TCP port', async () => {
  const { child, firstLine } = await start(process.execPath, [
    '-e',
    'const s = require("net").createServer().listen(0, "127.0.0.1", () => console.log(s.address().port))',
  ]);
  const port = Number(firstLine);
  const inodes = listeningSocketInodes(port);
  expect(inodes.size).toBe(1);
  expect(socketOwnerPid(inodes)).toBe(child.pid);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(listeningSocketInodes(port).size).toBe(0);
  expect(socketOwnerPid(new Set())).toBeUndefined();
});

describe('the macOS way (ps), with the platform passed in', () => {
  it.each([
    [
      'a macOS daemon',
      'Ss       1 Sun Dec  6 10:00:01 2026     /usr/sbin/cfprefsd agent\n',
      { state: 'S', parentPid: 1, startTime: '2026-12-06T10:00:01Z', commandLine: '/usr/sbin/cfprefsd agent' },
    ],
    [
      'a two-digit day, spaces kept in the command',
      'S+   41234 Tue Dec 15 09:07:02 2026     node /Users/me/w/node_modules/.bin/nx run  stack:dashboard\n',
      { state: 'S', parentPid: 41234, startTime: '2026-12-15T09:07:02Z', commandLine: 'node /Users/me/w/node_modules/.bin/nx run  stack:dashboard' },
    ],
    ['a zombie', 'Z    812 Mon Jan  5 23:59:59 2026     (node)\n', { state: 'Z', parentPid: 812, startTime: '2026-01-05T23:59:59Z', commandLine: '(node)' }],
    ['no such pid (ps prints nothing)', '', 'gone'],
    ['a header line (ps without the "=")', '  PID TTY           TIME CMD\n', 'unknown'],
    ["another locale's dates", 'Ss 1 So  6 Dez 10:00:01 2026 /sbin/launchd\n', 'unknown'],
  ])('reads %s', (_, output, expected) => {
    expect(parsePsOutput(output)).toEqual(expected);
  });

  it.each([
    ['running, same start', { state: 'S', parentPid: 1, startTime: '2026-12-06T10:00:01Z' }, '2026-12-06T10:00:01Z', 'same'],
    ['running, nothing recorded to compare', { state: 'R', parentPid: 1, startTime: '2026-12-06T10:00:01Z' }, '', 'same'],
    ['a pid reused since it was recorded', { state: 'S', parentPid: 1, startTime: '2026-12-06T11:30:00Z' }, '2026-12-06T10:00:01Z', 'gone'],
    ['a zombie', { state: 'Z', parentPid: 1, startTime: '2026-12-06T10:00:01Z' }, '2026-12-06T10:00:01Z', 'gone'],
    ['no such process', 'gone', '', 'gone'],
    ['a platform that cannot tell', 'unknown', '2026-12-06T10:00:01Z', 'unconfirmed'],
  ] as const)('judges %s', (_, look, recorded, verdict) => {
    expect(sameProcess(look, recorded)).toBe(verdict);
  });

  it('reads /proc/<pid>/stat whatever the command name holds', () => {
    const stat = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1 1 18446744073709551615';
    expect(parseProcStat(stat)).toEqual({ state: 'S', parentPid: 17, startTime: '987654' });
  });

  it('knows a running process by ps: its start time (UTC seconds), command line and parent', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const { child } = await start(process.execPath, ['-e', 'console.log("up"); setTimeout(() => {}, 60000)', 'an argument']);
    const pid = child.pid!;
    const started = processStartTime(pid, 'darwin');
    expect(started).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(started)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(started)).toBeLessThanOrEqual(Date.now());
    expect(isProcessAlive(pid, started, 'darwin')).toBe(true);
    expect(liveCommandLine(pid, started, 'darwin')).toBe(`${process.execPath} -e console.log("up"); setTimeout(() => {}, 60000) an argument`);
    expect(parentPid(pid, 'darwin')).toBe(process.pid);
  });

  it('by ps, an exited pid, a zombie and a pid recorded with another start time are not running: never ours to signal', async () => {
    const gone = deadPid();
    expect([isProcessAlive(gone, '', 'darwin'), liveCommandLine(gone, '', 'darwin'), parentPid(gone, 'darwin'), processStartTime(gone, 'darwin')]).toEqual([
      false,
      undefined,
      undefined,
      '',
    ]);
    const { firstLine } = await start('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30']);
    const zombie = Number(firstLine);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect([isProcessAlive(zombie, '', 'darwin'), liveCommandLine(zombie, '', 'darwin')]).toEqual([false, undefined]);
    // A stale state file: the pid now belongs to a process that started at another time.
    expect(isProcessAlive(process.pid, '2001-01-01T00:00:00Z', 'darwin')).toBe(false);
    expect(liveCommandLine(process.pid, '2001-01-01T00:00:00Z', 'darwin')).toBeUndefined();
  });

  it('where the platform cannot tell (e.g. win32), only "some process has this pid" is known, and its command is never guessed', () => {
    expect([processStartTime(process.pid, 'win32'), parentPid(process.pid, 'win32')]).toEqual(['', undefined]);
    // Waited for, never taken over: a live owner cannot be told from a reused pid.
    expect(isProcessAlive(process.pid, '2001-01-01T00:00:00Z', 'win32')).toBe(true);
    expect(liveCommandLine(process.pid, '', 'win32')).toBe('');
    expect([isProcessAlive(deadPid(), '', 'win32'), liveCommandLine(deadPid(), '', 'win32')]).toEqual([false, undefined]);
  });
});
