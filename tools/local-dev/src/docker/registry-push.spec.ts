/**
 * Background pushes that do not end: the real engine's `docker push` to a registry that accepts
 * connections and never answers (a plain TCP server on 127.0.0.1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from '../core/proc';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { pushInBackground, pushLogFile, readPushStatus } from './registry-push';

jest.setTimeout(60_000);

const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' }).status;
const waitFor = async (condition: () => boolean) => {
  const deadline = Date.now() + 20_000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return condition();
};

describe('pushInBackground to a registry that never answers', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let host: string;
  let root: string;
  let paths: WorkspacePaths;
  const refs: string[] = [];
  const log = () => readFileSync(pushLogFile(paths, 'svc'), 'utf8');

  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    for (const tag of ['old', 'new']) {
      refs.push(`${host}/local-dev/svc:${tag}`);
      expect(docker('tag', 'busybox:1.36', `${host}/local-dev/svc:${tag}`)).toBe(0);
    }
  });
  afterAll(async () => {
    for (const ref of refs) docker('rmi', ref);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-push-spec-'));
    paths = workspacePaths(root);
  });
  afterEach(() => {
    const record = readPushStatus(paths, 'svc', 0);
    expect(record?.state).not.toBe('running');
    rmSync(root, { recursive: true, force: true });
  });

  it("a newer push while an older one of the service still runs keeps the older one's log (appended, never truncated)", async () => {
    const older = pushInBackground(paths, refs[0], 'svc');
    expect(await waitFor(() => log().includes('The push refers to repository'))).toBe(true);
    const newer = pushInBackground(paths, refs[1], 'svc');
    expect(await waitFor(() => log().split('The push refers to repository').length === 3)).toBe(true);
    expect(log()).toContain(`docker push ${refs[0]}`);
    expect(log()).toContain(`docker push ${refs[1]}`);
    process.kill(-older.pid, 'SIGKILL');
    process.kill(-newer.pid, 'SIGKILL');
  });

  it('a push whose log stays silent is ended and recorded failed, with why', async () => {
    const started = pushInBackground(paths, refs[0], 'svc');
    expect(await waitFor(() => log().includes('The push refers to repository'))).toBe(true);
    expect(readPushStatus(paths, 'svc', 60_000)?.state).toBe('running');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const status = readPushStatus(paths, 'svc', 1_000);
    expect(status).toMatchObject({ state: 'failed', detail: 'local-dev ended this push: no progress for 1 s (docker push wrote nothing)' });
    expect(await waitFor(() => !isProcessAlive(started.pid, started.processStart))).toBe(true);
  });
});
