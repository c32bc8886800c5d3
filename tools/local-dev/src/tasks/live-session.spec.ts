import type { ServiceRunContext } from '../config/run-context';
import { notInContainer, runDevSession } from './live-session';

describe('a dev session', () => {
  it('for a service without live: says once that it has no live settings (edits need up) and waits until stopped', async () => {
    // A STAND-IN run context: only what a service without `live:` reads (its name); nothing else is touched.
    const run = { service: { name: 'api' } } as unknown as ServiceRunContext;
    const logs: string[] = [];
    const warnings: string[] = [];
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    let ended = false;
    const session = runDevSession(
      run,
      { stopped, aborted: new Promise(() => undefined) },
      { log: (line) => logs.push(line), warn: (line) => warnings.push(line) },
    ).then(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ended).toBe(false);
    expect(logs).toEqual([
      'api: no live settings (no `live:` for it in config.yaml), so nothing is synced: an edit reaches the container with `nx run api:up`. Waiting until Ctrl-C.',
    ]);
    stop();
    await session;
    expect(ended).toBe(true);
    expect(logs).toHaveLength(1);
    expect(warnings).toEqual([]);
  });
});

describe('the line after a failed sync', () => {
  it('names the changes the container does not have (the first few) and that they go with the next sync', () => {
    expect(notInContainer('api', [{ path: 'app/a.py', kind: 'write' }])).toBe('  api: 1 change not in the container: app/a.py; it goes with the next sync');
    const many = Array.from({ length: 7 }, (_, index) => ({ path: `app/f${index}.py`, kind: 'write' as const }));
    expect(notInContainer('api', many)).toBe(
      '  api: 7 changes not in the container: app/f0.py, app/f1.py, app/f2.py, app/f3.py, app/f4.py, … (2 more); they go with the next sync',
    );
  });
});
