import { runAtEdge } from './edge';
import { ChildProcessError, UsageError } from './errors';

describe('runAtEdge', () => {
  let stderr: jest.SpyInstance;
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
