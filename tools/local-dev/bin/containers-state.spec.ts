/**
 * containers-state.sh decides when Nx may skip `up`: only while every service of THIS workspace
 * has a running container. Against real containers in the real Docker engine, labelled as
 * local-dev labels them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { workspaceId } from '../src/docker/naming';
import { docker, removeByWorkspaceLabel } from '../e2e/fixtures/stack/stack';

jest.setTimeout(60_000);

const SCRIPT = path.resolve(__dirname, 'containers-state.sh');

describe('containers-state.sh (runtime input of up)', () => {
  let root: string;
  let other: string;
  const state = (...services: string[]) => execFileSync('sh', [SCRIPT, ...services], { cwd: root }).toString();
  const start = (workspace: string, service: string) =>
    docker(['run', '--detach', '--label', `io.local-dev.workspace=${workspaceId(workspace)}`, '--label', `io.local-dev.service=${service}`, 'busybox:1.36', 'sleep', '300']);

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'local-dev-containers-')));
    other = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'local-dev-containers-other-')));
  });
  afterEach(() => {
    removeByWorkspaceLabel(workspaceId(root));
    removeByWorkspaceLabel(workspaceId(other));
    rmSync(root, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  });

  it('repeats while every service runs here, and names this workspace (the id local-dev labels with)', () => {
    start(root, 'api');
    start(root, 'web');
    const first = state('api', 'web');
    expect(first.split('\n')[0]).toBe(`workspace ${workspaceId(root)}`);
    expect(first).toMatch(/^api .* running /m);
    expect(state('api', 'web')).toBe(first);
  });

  it('never repeats when a service is not running here, even if another workspace runs it', () => {
    start(root, 'api');
    start(other, 'web');
    const first = state('api', 'web');
    expect(first).toMatch(/^not running: web at \d+-\d+\n$/);
    expect(state('api', 'web')).not.toBe(first);
  });

  it('never repeats once a running service stops', () => {
    const container = start(root, 'api');
    const running = state('api');
    docker(['stop', '--time', '0', container]);
    expect(state('api')).toMatch(/^not running: api /);
    expect(state('api')).not.toBe(running);
  });
});
