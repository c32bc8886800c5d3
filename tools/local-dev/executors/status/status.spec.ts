import type { ExecutorContext } from '@nx/devkit';
import type { StackModel } from '../../src/stack/model';
import { gatherStackModel } from '../../src/stack/gather';
import statusExecutor, { normalizeOptions, onlyServices } from './status.impl';

jest.mock('../../src/stack/gather', () => ({
  openWorkspace: jest.fn(() => ({ model: { services: [{ name: 'a' }, { name: 'b' }] } })),
  gatherStackModel: jest.fn(),
}));

const service = (name: string) => ({ name }) as StackModel['services'][number];
const model = (reachable: boolean) =>
  ({
    engine: { reachable, error: reachable ? undefined : 'Cannot connect' },
    services: [service('a'), service('b')],
    problems: [
      { subject: 'a', kind: 'dirty', severity: 'info', message: 'm' },
      { subject: 'b', kind: 'crashed', severity: 'error', message: 'n' },
      { subject: 'redis-tunnel', kind: 'tunnel', severity: 'error', message: 't' },
    ],
  }) as unknown as StackModel;

const context = { root: '/ws', projectName: 'stack', targetName: 'status' } as ExecutorContext;

async function capture(body: () => Promise<unknown>): Promise<{ result: unknown; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { result: await body(), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('status executor', () => {
  it('normalizes options', () => {
    expect(normalizeOptions({})).toEqual({ json: false, services: [], namespace: undefined });
    expect(normalizeOptions({ json: true, services: 'a, b', namespace: 's2' })).toEqual({ json: true, services: ['a', 'b'], namespace: 's2' });
  });

  it('keeps only the chosen services and their problems (and the shared ones)', () => {
    const only = onlyServices(model(true), ['b']);
    expect(only.services.map((entry) => entry.name)).toEqual(['b']);
    expect(only.problems.map((problem) => problem.subject)).toEqual(['b', 'redis-tunnel']);
  });

  it('--json prints the model as JSON', async () => {
    jest.mocked(gatherStackModel).mockResolvedValue(model(true));
    const run = await capture(() => statusExecutor({ json: true }, context));
    expect(run.result).toEqual({ success: true });
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(JSON.stringify(model(true))));
  });

  it('prints what it could, then fails when the engine does not answer', async () => {
    jest.mocked(gatherStackModel).mockResolvedValue(model(false));
    const run = await capture(() => statusExecutor({ json: true }, context));
    expect(run.result).toEqual({ success: false });
    expect((JSON.parse(run.stdout) as StackModel).engine.reachable).toBe(false);
    expect(run.stderr).toContain('the Docker engine does not answer: Cannot connect: containers and images are not shown');
  });
});
