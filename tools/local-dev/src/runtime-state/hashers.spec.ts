import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HasherContext, Task } from '@nx/devkit';
import { hashersFor } from './hashers';

/** A stand-in for Nx's task hasher (it needs a whole project graph): the task's own hash is fixed. */
const context = {
  hasher: { hashTask: async () => ({ value: 'base-hash', details: { command: '', nodes: {}, runtime: {} } }) },
  taskGraph: {},
  projectsConfigurations: { projects: {} },
} as unknown as HasherContext;
const task = { id: 'redis-tunnel:up', target: { project: 'redis-tunnel', target: 'up' }, overrides: {} } as unknown as Task;

describe('custom hashers (the state Nx file inputs cannot see)', () => {
  let root: string;
  const { injectConfig, tunnel } = hashersFor(() => root);
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-hashers-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('extend the task\'s own hash with the state token, and repeat it while nothing settles', async () => {
    const first = await tunnel(task, context);
    expect(first.value).not.toBe('base-hash');
    expect(first.details.runtime?.['local-dev state']).toMatch(/^attempt-/);
    expect((await tunnel(task, context)).value).toBe(first.value);
  });

  it('a state that cannot be looked at gives a hash that never repeats, so the task runs and says why', async () => {
    // No argument file: the plugin has not written this workspace's clone list.
    const first = await injectConfig({ ...task, id: 'api:inject-config' }, context);
    expect(first.details.runtime?.['local-dev state']).toMatch(/^could not look \(ENOENT/);
    expect((await injectConfig({ ...task, id: 'api:inject-config' }, context)).value).not.toBe(first.value);
  });
});
