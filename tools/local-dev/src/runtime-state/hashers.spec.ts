import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HasherContext, Task } from '@nx/devkit';
import { createServiceRunContext } from '../config/run-context';
import { serviceSources } from '../docker/image';
import { sourceHash } from '../docker/input-hash';
import { hashersFor } from './hashers';

/** A stand-in for Nx's task hasher (it needs a whole project graph): the task's own hash is fixed. */
const context = {
  hasher: { hashTask: async () => ({ value: 'base-hash', details: { command: '', nodes: {}, runtime: {} } }) },
  taskGraph: {},
  projectsConfigurations: {
    projects: Object.fromEntries(['api', 'api-worker'].map((name) => [name, { targets: { 'build-image': { options: { service: name } } } }])),
  },
} as unknown as HasherContext;
const task = { id: 'redis-tunnel:up', target: { project: 'redis-tunnel', target: 'up' }, overrides: {} } as unknown as Task;
const buildTask = (service: string, overrides: Record<string, unknown> = {}) =>
  ({ id: `${service}:build-image`, target: { project: service, target: 'build-image' }, overrides }) as unknown as Task;
const stateOf = (hash: { details: { runtime?: Record<string, string> } }) => hash.details.runtime?.['local-dev state'];

describe('custom hashers (the state Nx file inputs cannot see)', () => {
  let root: string;
  const { buildImage, injectConfig, tunnel } = hashersFor(() => root);
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-hashers-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("extend the task's own hash with the state token, and repeat it while nothing settles", async () => {
    const first = await tunnel(task, context);
    expect(first.value).not.toBe('base-hash');
    expect(stateOf(first)).toMatch(/^attempt-/);
    expect((await tunnel(task, context)).value).toBe(first.value);
  });

  it('a state that cannot be looked at gives a hash that never repeats, so the task runs and says why', async () => {
    // No config.yaml: there is no list of clones to look at.
    const first = await injectConfig({ ...task, id: 'api:inject-config' }, context);
    expect(stateOf(first)).toMatch(/^could not look \(.*config\.yaml/s);
    expect((await injectConfig({ ...task, id: 'api:inject-config' }, context)).value).not.toBe(first.value);
  });

  /** A workspace with api (and its worker) cloned from a real git repository, namespaces s1 and s2. */
  describe('build-image: hashed with the input hash of the image the service calls for', () => {
    const clone = () => path.join(root, 'cloned', 'api');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', '-C', clone(), ...args], { stdio: 'pipe' });
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    };
    /** Hashes in a new round: within one, every task shares one look at each clone (Nx hashes the tasks of a round together). */
    const hashOf = async (service = 'api', overrides: Record<string, unknown> = {}) => {
      await new Promise((resolve) => setImmediate(resolve));
      return buildImage(buildTask(service, overrides), context);
    };

    beforeEach(() => {
      write(
        'repos_docker_files/config.yaml',
        'services:\n  api:\n    repo: file:///nowhere/api.git\n    configs:\n      - { source: api.env, dest: .env }\n    workers:\n      api-worker: {}\n',
      );
      write('repos_docker_files/api.dev.Dockerfile', 'FROM scratch\n');
      write('repos_docker_files/api-worker.dev.Dockerfile', 'FROM scratch\n');
      for (const namespace of ['s1', 's2']) mkdirSync(path.join(root, 'configs', namespace), { recursive: true });
      mkdirSync(clone(), { recursive: true });
      git('init', '-q', '-b', 'main');
      write('cloned/api/app.py', 'print("v1")\n');
      git('add', '-A');
      git('commit', '-q', '-m', 'one');
    });

    it('reads each clone once per round, for a service and its workers alike', async () => {
      const [, worker] = await Promise.all([buildImage(buildTask('api'), context), buildImage(buildTask('api-worker'), context)]);
      appendFileSync(path.join(clone(), 'app.py'), 'print("v2")\n');
      // Still the same round (no turn of the event loop since): the clone as the round saw it.
      expect((await buildImage(buildTask('api-worker'), context)).value).toBe(worker.value);
      expect((await hashOf('api-worker')).value).not.toBe(worker.value);
    });

    it('is the very source hash of the inputs build-image builds from (one source of truth)', async () => {
      const { sources } = await serviceSources(createServiceRunContext(root, { service: 'api', namespace: 's2' }));
      expect(stateOf(await hashOf('api', { namespace: 's2' }))).toBe(`image input ${sourceHash(sources)}`);
    });

    it('changes when a tracked file is edited and back when the edit is undone, and with a commit', async () => {
      const clean = await hashOf();
      appendFileSync(path.join(clone(), 'app.py'), 'print("v2")\n');
      const edited = await hashOf();
      expect(edited.value).not.toBe(clean.value);
      git('checkout', '--', 'app.py');
      expect((await hashOf()).value).toBe(clean.value);
      // A commit that changes nothing (the same tree) builds the same image; one that changes a file does not.
      git('commit', '-q', '--allow-empty', '-m', 'two');
      expect((await hashOf()).value).toBe(clean.value);
      appendFileSync(path.join(clone(), 'app.py'), 'print("v3")\n');
      git('commit', '-q', '-am', 'three');
      expect((await hashOf()).value).not.toBe(clean.value);
    });

    it('changes with an untracked file’s content, also under a non-ASCII name', async () => {
      const before = await hashOf();
      write('cloned/api/café.py', 'x = 1\n');
      const withUntracked = await hashOf();
      expect(withUntracked.value).not.toBe(before.value);
      write('cloned/api/café.py', 'x = 2\n');
      expect((await hashOf()).value).not.toBe(withUntracked.value);
    });

    it('changes when an injected file (hidden from git) changes: a rotated secret rebuilds', async () => {
      appendFileSync(path.join(clone(), '.git', 'info', 'exclude'), '/.env\n');
      write('cloned/api/.env', 'TOKEN=one\n');
      const first = await hashOf();
      expect(stateOf(first)).not.toContain('TOKEN');
      write('cloned/api/.env', 'TOKEN=rotated\n');
      expect((await hashOf()).value).not.toBe(first.value);
    });

    it('differs per namespace and per service, a worker from its owner’s clone included', async () => {
      const s1 = await hashOf('api', { namespace: 's1' });
      expect((await hashOf('api', { namespace: 's2' })).value).not.toBe(s1.value);
      expect((await hashOf('api-worker', { namespace: 's1' })).value).not.toBe(s1.value);
      // No --namespace: config.yaml's default, s1.
      expect(stateOf(await hashOf('api'))).toBe(stateOf(s1));
      // In one round too: the config and namespace are shared per namespace, never across them.
      const [sameRoundS1, sameRoundS2, sameRoundDefault] = await Promise.all(
        ['s1', 's2', undefined].map((namespace) => buildImage(buildTask('api', namespace ? { namespace } : {}), context)),
      );
      expect(stateOf(sameRoundS1)).toBe(stateOf(s1));
      expect(stateOf(sameRoundS2)).not.toBe(stateOf(s1));
      expect(stateOf(sameRoundDefault)).toBe(stateOf(s1));
    });

    it('sees a config.yaml edit (a build arg) in the next round', async () => {
      const before = await hashOf();
      write(
        'repos_docker_files/config.yaml',
        'services:\n  api:\n    repo: file:///nowhere/api.git\n    build-args: { MODE: fast }\n    configs:\n      - { source: api.env, dest: .env }\n    workers:\n      api-worker: {}\n',
      );
      expect((await hashOf()).value).not.toBe(before.value);
    });

    it('never repeats while the service cannot be looked at (not cloned, unknown namespace), so build-image runs and says why', async () => {
      const unknown = await hashOf('api', { namespace: 'nope' });
      expect(stateOf(unknown)).toMatch(/^could not look \(unknown namespace "nope"/);
      expect((await hashOf('api', { namespace: 'nope' })).value).not.toBe(unknown.value);
      rmSync(path.join(clone(), '.git'), { recursive: true });
      const notCloned = await hashOf();
      expect(stateOf(notCloned)).toMatch(/is not a git clone with a commit/);
      expect((await hashOf()).value).not.toBe(notCloned.value);
    });
  });
});
