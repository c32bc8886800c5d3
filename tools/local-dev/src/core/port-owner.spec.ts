/** Who holds a port, on a real listener in another process. */
import { spawn } from 'node:child_process';
import { describeHolder, findPortHolder, isPortFree } from './port-owner';

it('names the process holding a port, and says a port is free once it is gone', async () => {
  const child = spawn(process.execPath, ['-e', 'const s = require("net").createServer().listen(0, "0.0.0.0", () => console.log(s.address().port))'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    expect(await isPortFree(port)).toBe(false);
    const holder = findPortHolder(port);
    expect(holder).toEqual({ pid: child.pid, command: expect.stringContaining(`${process.execPath} -e const s = require("net")`) });
    expect(describeHolder(holder)).toBe(`pid ${child.pid} (${holder!.command})`);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await isPortFree(port)).toBe(true);
    expect(findPortHolder(port)).toBeUndefined();
  } finally {
    child.kill('SIGKILL');
  }
});
