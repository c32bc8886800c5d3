/**
 * image-source.ts within a recorded run (the real run record in a temporary workspace): a registry
 * found down is said once and not asked again for the rest of the run. The registry is a real TCP
 * server on 127.0.0.1 that accepts connections and never answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordRunStart } from '../core/run-record';
import { workspacePaths } from '../core/workspace';
import type { ServiceImage } from './image';
import { pullFromRegistry } from './image-source';

jest.setTimeout(30_000);

describe('pullFromRegistry with a registry that does not answer', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let root: string;

  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-image-source-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is asked once per run: the next services build at once, and it is said once', async () => {
    await recordRunStart(root, 'run-1', ['node', 'nx', 'run-many', '-t', 'up']);
    const registry = { url: `127.0.0.1:${(silent.address() as { port: number }).port}/local-dev`, push: false };
    const target = (service: string) => ({ sources: { service }, portableHash: 'a'.repeat(64), image: `local-dev/${service}:x`, platform: 'linux/amd64' }) as unknown as ServiceImage;
    const said: string[] = [];
    expect(await pullFromRegistry(target('svc-0'), registry, workspacePaths(root), {}, (line) => said.push(line))).toBe(false);
    const asked = sockets.length;
    expect(asked).toBeGreaterThan(0);
    for (const service of ['svc-1', 'svc-2']) {
      expect(await pullFromRegistry(target(service), registry, workspacePaths(root), {}, (line) => said.push(line))).toBe(false);
    }
    expect(sockets.length).toBe(asked);
    expect(said).toEqual([expect.stringMatching(/^registry 127\.0\.0\.1:\d+\/local-dev cannot be used \(.*\): building instead, for this whole run/)]);
  });
});
