import { apiContainer as container } from '../../testing/stack-facts';
import type { ContainerFacts } from './docker-facts';
import type { LockFacts } from './facts';
import { containerEnd } from './container-end';

describe('containerEnd: stopped, exited or crashed, and by whom', () => {
  const ended = (overrides: Partial<ContainerFacts>, lock?: LockFacts) =>
    containerEnd(container({ status: 'exited', finishedAt: '2026-11-29T10:05:00Z', ...overrides }), lock);
  const sent = (...signals: string[]) => ({ signals, stopCommand: false, oom: false });
  it.each([
    [
      'docker stop: SIGTERM, exit 143',
      { exitCode: 143, end: { ...sent('SIGTERM'), stopCommand: true } },
      'stopped',
      'stopped by `docker stop` from outside local-dev (SIGTERM; exit code 143)',
    ],
    [
      'docker stop past its timeout: SIGTERM then SIGKILL, exit 137',
      { exitCode: 137, end: { ...sent('SIGTERM', 'SIGKILL'), stopCommand: true } },
      'stopped',
      'stopped by `docker stop` from outside local-dev (SIGTERM, then SIGKILL; exit code 137)',
    ],
    [
      'docker kill: SIGKILL, exit 137',
      { exitCode: 137, end: sent('SIGKILL') },
      'stopped',
      'stopped by `docker kill` from outside local-dev (SIGKILL; exit code 137)',
    ],
    [
      'a graceful app stopped: exit 0 after SIGTERM',
      { exitCode: 0, end: { ...sent('SIGTERM'), stopCommand: true } },
      'stopped',
      'stopped by `docker stop` from outside local-dev (SIGTERM; exit code 0)',
    ],
    ['its process exited 3 by itself', { exitCode: 3, end: sent() }, 'crashed', 'crashed (exit code 3)'],
    ['a segfault', { exitCode: 139, end: sent() }, 'crashed', 'crashed (exit code 139: SIGSEGV)'],
    [
      '143 with nobody sending a signal through Docker',
      { exitCode: 143, end: sent() },
      'crashed',
      'crashed (exit code 143: SIGTERM, though nobody sent it a signal through Docker)',
    ],
    ['its process ended by itself with 0', { exitCode: 0, end: sent() }, 'exited', 'exited: its process ended by itself (exit code 0)'],
    ['events forgotten, 143', { exitCode: 143 }, 'stopped', 'stopped by someone the engine no longer remembers (exit code 143: SIGTERM)'],
    ['events forgotten, 137 without OOM', { exitCode: 137 }, 'stopped', 'stopped by someone the engine no longer remembers (exit code 137: SIGKILL)'],
    ['events forgotten, 1', { exitCode: 1 }, 'crashed', 'crashed (exit code 1)'],
    ['events forgotten, 0', { exitCode: 0 }, 'exited', 'exited: its process ended by itself (exit code 0)'],
    ["out of memory (Docker's flag)", { exitCode: 137, oomKilled: true, end: sent() }, 'crashed', 'crashed (killed: out of memory, exit code 137: SIGKILL)'],
    ['out of memory (the event)', { exitCode: 137, end: { ...sent(), oom: true } }, 'crashed', 'crashed (killed: out of memory, exit code 137: SIGKILL)'],
    [
      'the engine could not start it',
      { status: 'created', exitCode: 128, error: 'port is already allocated' },
      'crashed',
      'crashed (could not start: port is already allocated)',
    ],
  ] as [string, Partial<ContainerFacts>, string, string][])('%s', (_case, overrides, how, summary) => {
    expect(ended(overrides)).toMatchObject({ how, summary });
  });

  it("names local-dev when one of its commands holds the service's lock (a restart under way)", () => {
    const lock = { purpose: 'restart api', command: 'nx run stack:restart --services=api', since: '2026-11-29T10:04:59Z' };
    expect(ended({ exitCode: 143, end: { signals: ['SIGTERM'], stopCommand: true, oom: false } }, lock)).toMatchObject({
      how: 'stopped',
      by: 'local-dev (restart api: `nx run stack:restart --services=api`)',
    });
    expect(ended({ exitCode: 143 }, lock)).toMatchObject({
      how: 'stopped',
      summary: 'stopped by local-dev (restart api: `nx run stack:restart --services=api`) (exit code 143: SIGTERM)',
    });
  });

  it('says nothing while it runs or starts', () => {
    expect(containerEnd(container(), undefined)).toBeUndefined();
    expect(containerEnd(container({ status: 'created' }), undefined)).toBeUndefined();
    expect(containerEnd(container({ status: 'restarting', exitCode: 0 }), undefined)).toBeUndefined();
  });
});
