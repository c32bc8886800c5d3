/** Reading /proc, on real processes: running, exited, zombie, reused pid, parent, a port's listener. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { isProcessAlive, listeningSocketInodes, liveCommandLine, parentPid, processStartTime, socketOwnerPid } from './proc';

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
  const { child, firstLine } = await start(process.execPath, ['-e', 'const s = require("net").createServer().listen(0, "127.0.0.1", () => console.log(s.address().port))']);
  const port = Number(firstLine);
  const inodes = listeningSocketInodes(port);
  expect(inodes.size).toBe(1);
  expect(socketOwnerPid(inodes)).toBe(child.pid);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(listeningSocketInodes(port).size).toBe(0);
  expect(socketOwnerPid(new Set())).toBeUndefined();
});
