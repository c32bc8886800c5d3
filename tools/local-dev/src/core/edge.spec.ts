import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAtEdge } from './edge';
import { ChildProcessError, UsageError } from './errors';
import { readProgress, recordRunStart } from './run-record';
import { workspacePaths } from './workspace';

describe('runAtEdge', () => {
  let stderr: jest.SpiedFunction<typeof process.stderr.write>;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());
  const printed = () => stderr.mock.calls.map((call) => String(call[0])).join('');

  it('turns a LocalDevError into its message and fix, without a stack, and a failed result', async () => {
    const result = await runAtEdge('api:up', async () => {
      throw new UsageError('no service "apj"', { fix: 'did you mean "api"?' });
    });
    expect(result).toEqual({ success: false });
    expect(printed()).toBe('✖ api:up: no service "apj"\n  fix: did you mean "api"?\n');
  });

  it('never prints a token from a repo URL, even one carried in a raw command line', async () => {
    const url = 'https://x-access-token:ghp_SECRET123@github.example/o/api.git';
    await runAtEdge('api:clone', async () => {
      throw new ChildProcessError('git', ['clone', '--', url, 'cloned/api'], 128, `fatal: unable to access '${url}/'`);
    });
    await runAtEdge('api:clone', async () => {
      throw new Error(`unexpected: ${url}`);
    });
    expect(printed()).toContain('https://x-access-token:***@github.example/o/api.git');
    expect(printed()).not.toContain('ghp_SECRET123');
  });

  it('reports anything else as a bug, with its stack', async () => {
    await runAtEdge('api:up', async () => {
      throw new TypeError('x is undefined');
    });
    expect(printed()).toContain('unexpected error (a bug in local-dev');
    expect(printed()).toContain('TypeError: x is undefined\n    at ');
  });
});

describe('runAtEdge with the executor context of a run task', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-edge-'));
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(root, { recursive: true, force: true });
  });
  const context = (projectName: string, targetName: string) => ({ projectName, targetName, root });
  const taskState = (task: string) => readProgress(workspacePaths(root))?.tasks[task]?.state;

  it('keeps logs/progress.json current: running while the body runs, then its result', async () => {
    await recordRunStart(root, 'run-1', ['node', '/ws/node_modules/.bin/nx', 'run-many', '-t', 'up']);
    let during: string | undefined;
    await runAtEdge(context('api', 'build-image'), async () => {
      during = taskState('api:build-image');
    });
    expect(during).toBe('running');
    expect(taskState('api:build-image')).toBe('success');
    await runAtEdge(context('api', 'up'), async () => {
      throw new UsageError('port taken');
    });
    expect(taskState('api:up')).toBe('failure');
  });

  it('writes nothing, and makes no folder, outside a recorded run', async () => {
    const result = await runAtEdge(context('api', 'clone'), async () => undefined);
    expect(result).toEqual({ success: true });
    expect(existsSync(path.join(root, 'logs'))).toBe(false);
  });
});
