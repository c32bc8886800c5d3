/**
 * Who holds a port, on a real listener in another process. Linux reads /proc; the macOS way
 * (lsof, then ps; platform 'darwin' passed in) runs here against Linux's lsof and procps ps.
 */
import { spawn } from 'node:child_process';
import { describeHolder, findPortHolder, isPortFree, parseLsofPids } from './port-owner';

it.each(['linux', 'darwin'] as const)('names the process holding a port (%s way), and says a port is free once it is gone', async (platform) => {
  const child = spawn(process.execPath, ['-e', 'const s = require("net").createServer().listen(0, "0.0.0.0", () => console.log(s.address().port))'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    expect(await isPortFree(port)).toBe(false);
    const holder = findPortHolder(port, platform);
    expect(holder).toEqual({ pid: child.pid, command: expect.stringContaining(`${process.execPath} -e const s = require("net")`) });
    expect(describeHolder(holder)).toBe(`pid ${child.pid} (${holder!.command})`);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await isPortFree(port)).toBe(true);
    expect(findPortHolder(port, platform)).toBeUndefined();
  } finally {
    child.kill('SIGKILL');
  }
});

it('reads the pids of `lsof -F p` (one process per "p" line; other fields ignored)', () => {
  expect(parseLsofPids('p812\nf7\nn127.0.0.1:6379\np913\nf5\n')).toEqual([812, 913]);
  expect(parseLsofPids('')).toEqual([]);
});

it('names nobody where the platform gives no way to ask', async () => {
  const child = spawn(process.execPath, ['-e', 'const s = require("net").createServer().listen(0, "127.0.0.1", () => console.log(s.address().port))'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    expect(findPortHolder(port, 'win32')).toBeUndefined();
  } finally {
    child.kill('SIGKILL');
  }
});
