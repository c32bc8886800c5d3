/**
 * registry.ts against a real registry (Debian's docker-registry on 127.0.0.1, e2e/support/registry.ts)
 * and the real engine: look-ups that answer present/absent and never stall on a registry that is
 * down or silent, pulls, background pushes read back from their log, and doctor's checks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import {
  startSilentServer,
  startTestRegistry,
  TEST_REGISTRY_PASSWORD,
  TEST_REGISTRY_USER,
  type SilentServer,
  type TestRegistry,
} from '../../e2e/support/registry';
import {
  describeFailedPush,
  failedPushes,
  lookUp,
  parseImageRef,
  pull,
  pushInBackground,
  pushOutcome,
  readPushStatus,
  registryChecks,
  type PushStatus,
} from './registry';
import { parseChallenge, storedCredentials } from './registry-http';

jest.setTimeout(60_000);

function docker(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
const imageExists = (ref: string) => docker('image', 'inspect', ref).status === 0;

async function waitForPush(paths: WorkspacePaths, service: string): Promise<PushStatus | undefined> {
  const deadline = Date.now() + 30_000;
  let status = readPushStatus(paths, service);
  while (status?.state === 'running' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = readPushStatus(paths, service);
  }
  return status;
}

describe('parseImageRef', () => {
  it.each([
    ['127.0.0.1:5000/local-dev/api:abc', { host: '127.0.0.1:5000', repository: 'local-dev/api', tag: 'abc' }],
    ['registry.internal/api:1', { host: 'registry.internal', repository: 'api', tag: '1' }],
    ['127.0.0.1:5000/api', undefined],
    ['api:abc', undefined],
  ])('%s', (ref, parts) => expect(parseImageRef(ref)).toEqual(parts));
});

describe('pushOutcome: what a finished docker push log says', () => {
  const ref = '127.0.0.1:5000/local-dev/api:0123abcd';
  it('pushed: the digest line of this tag', () => {
    expect(pushOutcome(`abc: Pushed\n0123abcd: digest: sha256:${'a'.repeat(64)} size: 736\n`, ref)).toEqual({ state: 'pushed' });
  });
  it('failed: the last line says why', () => {
    expect(pushOutcome('abc: Preparing\nGet "http://127.0.0.1:5000/v2/": connection refused\n', ref)).toEqual({
      state: 'failed',
      detail: 'Get "http://127.0.0.1:5000/v2/": connection refused',
    });
  });
  it('a digest line of another tag is not this push', () => {
    expect(pushOutcome(`other: digest: sha256:${'a'.repeat(64)} size: 736\n`, ref).state).toBe('failed');
  });
  it('an empty log (killed before a word) is a failure said as such', () => {
    expect(pushOutcome('', ref)).toEqual({ state: 'failed', detail: expect.stringContaining('killed') });
  });
});

describe('parseChallenge and storedCredentials (pure)', () => {
  it('reads a Bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a:pull' },
    });
  });
  it("reads docker login's auths, and names the helper that holds a host's credentials", () => {
    const auth = Buffer.from('me:pa:ss').toString('base64');
    expect(storedCredentials({ auths: { 'r.example:5000': { auth } } }, 'r.example:5000')).toEqual({ username: 'me', secret: 'pa:ss' });
    expect(storedCredentials({ auths: { 'r.example:5000': {} }, credsStore: 'pass' }, 'r.example:5000')).toEqual({ helper: 'pass' });
    expect(storedCredentials({ credHelpers: { 'r.example:5000': 'ecr-login' } }, 'r.example:5000')).toEqual({ helper: 'ecr-login' });
    expect(storedCredentials({ auths: { other: { auth } } }, 'r.example:5000')).toBeUndefined();
  });
});

describe('against a real registry', () => {
  let registry: TestRegistry;
  let ref: string;
  let root: string;
  let paths: WorkspacePaths;

  beforeAll(async () => {
    registry = await startTestRegistry();
    ref = `${registry.host}/local-dev/probe:t${process.pid}`;
    expect(docker('tag', 'busybox:1.36', ref).status).toBe(0);
    expect(docker('push', ref).status).toBe(0);
  });
  afterAll(async () => {
    docker('rmi', ref);
    await registry.remove();
  });
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-registry-spec-'));
    paths = workspacePaths(root);
  });
  afterEach(async () => {
    if (!registry.running()) await registry.start();
    rmSync(root, { recursive: true, force: true });
  });

  it('lookUp: an image that is there is present, another tag absent', async () => {
    expect(await lookUp(ref)).toEqual({ state: 'present' });
    expect(await lookUp(`${registry.host}/local-dev/probe:never-pushed`)).toEqual({ state: 'absent' });
    expect(await lookUp(`${registry.host}/local-dev/nobody:x`)).toEqual({ state: 'absent' });
  });

  it('lookUp: a registry that is down is unreachable, with the reason', async () => {
    await registry.stop();
    // Refused, or (a socket kept alive from the request before, which the registry's end closed) hung up: both say why.
    expect(await lookUp(ref)).toEqual({ state: 'unreachable', reason: expect.stringMatching(/did not answer: .*(ECONNREFUSED|socket hang up|ECONNRESET)/) });
  });

  describe('a registry that accepts connections and never answers', () => {
    let silent: SilentServer;
    beforeAll(async () => {
      silent = await startSilentServer();
    });
    afterAll(() => silent.close());

    it('lookUp gives up at its timeout and says the registry did not answer in time', async () => {
      const port = silent.port;
      const started = Date.now();
      const result = await lookUp(`127.0.0.1:${port}/local-dev/api:abc`, 300);
      // Behaviour, not speed: it returns (well before Jest's timeout) instead of waiting on the socket.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result).toEqual({ state: 'unreachable', reason: expect.stringContaining('no answer within 300 ms') });
      expect(silent.connections()).toBeGreaterThan(0);
    });

    it('doctor says it does not answer, and what happens meanwhile', async () => {
      const port = silent.port;
      const checks = await registryChecks({ url: `127.0.0.1:${port}/local-dev`, push: true }, { timeoutMs: 300 });
      expect(checks).toEqual([
        expect.objectContaining({
          name: 'registry',
          result: 'fail',
          detail: expect.stringContaining('no answer within 300 ms'),
          fix: expect.stringContaining('built here'),
        }),
      ]);
    });
  });

  it('pull: brings the image onto the engine; from a stopped registry it is a result, not a throw', async () => {
    expect(docker('rmi', ref).status).toBe(0);
    expect(await pull(ref)).toEqual({ pulled: true });
    expect(imageExists(ref)).toBe(true);
    await registry.stop();
    const missing = `${registry.host}/local-dev/probe:not-here`;
    expect(await pull(missing, 20_000)).toEqual({ pulled: false, reason: expect.stringContaining('connection refused') });
  });

  it('pushInBackground: returns while docker push runs, records it, and the log says pushed', async () => {
    const pushed = `${registry.host}/local-dev/bg:t${process.pid}`;
    expect(docker('tag', 'busybox:1.36', pushed).status).toBe(0);
    try {
      const record = pushInBackground(paths, pushed, 'bg');
      expect(record).toEqual(expect.objectContaining({ service: 'bg', ref: pushed, pid: expect.any(Number) }));
      expect(readPushStatus(paths, 'bg')?.state).toBe('running');
      const status = await waitForPush(paths, 'bg');
      expect(status).toEqual(expect.objectContaining({ state: 'pushed', log: 'logs/push/bg.log' }));
      expect(await registry.tags('local-dev/bg')).toEqual([`t${process.pid}`]);
      expect(failedPushes(paths)).toEqual([]);
      expect(statSync(path.join(root, 'logs', 'push')).mode & 0o777).toBe(0o700);
    } finally {
      docker('rmi', pushed);
    }
  });

  it('pushInBackground: a push that fails is recorded, and failedPushes says it with the log', async () => {
    const pushed = `${registry.host}/local-dev/bg-fail:t${process.pid}`;
    expect(docker('tag', 'busybox:1.36', pushed).status).toBe(0);
    try {
      await registry.stop();
      pushInBackground(paths, pushed, 'bg-fail');
      const status = await waitForPush(paths, 'bg-fail');
      expect(status).toEqual(expect.objectContaining({ state: 'failed', detail: expect.stringContaining('connection refused') }));
      const failed = failedPushes(paths);
      expect(failed.map((entry) => entry.service)).toEqual(['bg-fail']);
      expect(describeFailedPush(failed[0]!)).toContain('logs/push/bg-fail.log');
    } finally {
      docker('rmi', pushed);
    }
  });

  it('doctor: reachable, no login needed, push allowed (an upload started and cancelled)', async () => {
    const before = await registry.repositories();
    const checks = await registryChecks({ url: `${registry.host}/local-dev`, push: true }, { probeService: 'doctor-probe' });
    expect(checks.map((check) => [check.name, check.result])).toEqual([
      ['registry', 'ok'],
      ['registry credentials', 'ok'],
      ['registry push', 'ok'],
    ]);
    // Nothing was left behind: no image, no repository.
    expect(await registry.repositories()).toEqual(before);
  });

  it('doctor: a registry that is down fails the first check with the fix', async () => {
    await registry.stop();
    const checks = await registryChecks({ url: `${registry.host}/local-dev`, push: true });
    expect(checks).toEqual([expect.objectContaining({ name: 'registry', result: 'fail', detail: expect.stringContaining('does not answer') })]);
  });

  it('doctor: with push off it does not ask to push', async () => {
    const checks = await registryChecks({ url: `${registry.host}/local-dev`, push: false });
    expect(checks.at(-1)).toEqual(expect.objectContaining({ name: 'registry push', result: 'ok', detail: 'push is off: this machine only pulls' }));
  });

  it('doctor lists a failed push as a warning', async () => {
    const pushed = `${registry.host}/local-dev/warned:t${process.pid}`;
    expect(docker('tag', 'busybox:1.36', pushed).status).toBe(0);
    try {
      await registry.stop();
      pushInBackground(paths, pushed, 'warned');
      await waitForPush(paths, 'warned');
      await registry.start();
      const checks = await registryChecks({ url: `${registry.host}/local-dev`, push: false }, { paths });
      expect(checks.at(-1)).toEqual(expect.objectContaining({ name: 'push of warned', result: 'warn', detail: expect.stringContaining('failed') }));
    } finally {
      docker('rmi', pushed);
    }
  });
});

describe('a registry that needs a login (htpasswd)', () => {
  let registry: TestRegistry;
  let dockerConfig: string;
  beforeAll(async () => {
    registry = await startTestRegistry({ auth: true });
    dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'local-dev-docker-config-'));
  });
  afterAll(async () => {
    await registry.remove();
    rmSync(dockerConfig, { recursive: true, force: true });
  });
  const env = () => ({ ...process.env, DOCKER_CONFIG: dockerConfig });

  it('without docker login: the look-up and doctor say to log in', async () => {
    const result = await lookUp(`${registry.host}/local-dev/api:abc`, 1_500, env());
    expect(result).toEqual({ state: 'unreachable', reason: expect.stringContaining('needs a login'), fix: `docker login ${registry.host}` });
    const checks = await registryChecks({ url: `${registry.host}/local-dev`, push: true }, { env: env() });
    expect(checks.map((check) => [check.name, check.result, check.fix])).toEqual([
      ['registry', 'ok', undefined],
      ['registry credentials', 'fail', `docker login ${registry.host}`],
    ]);
  });

  it('after docker login: the look-up answers and doctor passes, push included', async () => {
    const login = spawnSync('docker', ['login', '--username', TEST_REGISTRY_USER, '--password-stdin', registry.host], {
      input: TEST_REGISTRY_PASSWORD,
      encoding: 'utf8',
      env: env(),
    });
    expect(login.status).toBe(0);
    expect(await lookUp(`${registry.host}/local-dev/api:abc`, 1_500, env())).toEqual({ state: 'absent' });
    const checks = await registryChecks({ url: `${registry.host}/local-dev`, push: true }, { env: env() });
    expect(checks.map((check) => [check.name, check.result, check.detail])).toEqual([
      ['registry', 'ok', expect.stringContaining('needs a login')],
      ['registry credentials', 'ok', `logged in as ${TEST_REGISTRY_USER}`],
      ['registry push', 'ok', expect.any(String)],
    ]);
  });
});

describe('a registry where this user may not push (read-only)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({ readOnly: true });
  });
  afterAll(async () => registry.remove());

  it('doctor: reachable and credentials fine, push refused with the fix', async () => {
    const checks = await registryChecks({ url: `${registry.host}/local-dev`, push: true });
    expect(checks.map((check) => [check.name, check.result])).toEqual([
      ['registry', 'ok'],
      ['registry credentials', 'ok'],
      ['registry push', 'fail'],
    ]);
    expect(checks[2]?.fix).toContain('push: false');
  });
});
