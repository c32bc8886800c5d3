/**
 * Stopped, exited or crashed (issue 20, item 13), on the real engine: containers labelled as this
 * workspace's services, each ended another way — `docker stop`, `docker kill`, a process exiting
 * 3 or 0 by itself, a stop while a local-dev command holds the service's lock — then the stack
 * model gathered as `status` and the dashboard gather it, and both views read.
 */
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../src/core/workspace';
import { dashboardView } from '../src/dashboard/view';
import { LABELS, workspaceId } from '../src/core/naming';
import { withServiceLock } from '../src/docker/service-lock';
import { gatherStackModel } from '../src/stack/gather';
import type { StackModel } from '../src/stack/model';
import { formatStatus } from '../src/stack/status-text';
import { docker, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(120_000);

const SERVICES = ['stopped', 'killed', 'crashed', 'finished', 'restarting', 'running'];

describe('a container stopped from outside is "stopped", one whose process fails is "crashed" (real engine)', () => {
  let workspace: TempWorkspace;
  let wsId: string;
  let model: StackModel;
  const run = (service: string, command: string[]) =>
    docker([
      'run',
      '--detach',
      '--init',
      '--label',
      `${LABELS.workspace}=${wsId}`,
      '--label',
      `${LABELS.service}=${service}`,
      '--name',
      `ld-e2e-${wsId.slice(0, 6)}-${service}`,
      'busybox:1.36',
      ...command,
    ]);
  const until = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 30_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`${what} within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const exited = (id: string) => docker(['inspect', '--format', '{{.State.Status}}', id]) === 'exited';

  beforeAll(async () => {
    workspace = createTempWorkspace({
      name: 'stop-or-crash',
      config: `default-namespace: s1\nnetwork: ld-e2e-stop-or-crash-${process.pid}\nservices:\n${SERVICES.map((service) => `  ${service}:\n    repo: file://${path.join(tmpdir(), 'nowhere', `${service}.git`)}\n`).join('')}`,
    });
    wsId = workspaceId(workspace.root);
    const ids = Object.fromEntries(
      SERVICES.map((service) => [
        service,
        run(service, service === 'crashed' ? ['sh', '-c', 'sleep 1; exit 3'] : service === 'finished' ? ['sh', '-c', 'sleep 1; exit 0'] : ['sleep', '300']),
      ]),
    );
    docker(['stop', '--time', '5', ids.stopped]);
    docker(['kill', ids.killed]);
    // A local-dev command (here: this test, holding the lock as `restart` does) stops it and has not started it again yet.
    await withServiceLock(
      workspacePaths(workspace.root),
      'restarting',
      'restart restarting',
      () => undefined,
      async () => {
        docker(['stop', '--time', '5', ids.restarting]);
        await until(() => exited(ids.crashed) && exited(ids.finished), 'the crashing and finishing containers ended');
        model = await gatherStackModel({ workspaceRoot: workspace.root, namespace: undefined });
      },
    );
  });

  afterAll(() => {
    if (workspace) {
      removeByWorkspaceLabel(wsId);
      workspace.remove();
    }
  });

  const service = (name: string) => {
    const found = model.services.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no ${name} in the model`);
    return found;
  };

  it('the model: docker stop and docker kill are stops, saying who and with which signal; exit 3 is a crash; exit 0 an exit', () => {
    expect(SERVICES.map((name) => [name, service(name).state, service(name).container?.exitCode])).toEqual([
      ['stopped', 'stopped', 143],
      ['killed', 'stopped', 137],
      ['crashed', 'crashed', 3],
      ['finished', 'exited', 0],
      ['restarting', 'stopped', 143],
      ['running', 'running', 0],
    ]);
    expect(service('stopped').container?.end).toMatchObject({ how: 'stopped', signal: 'SIGTERM', by: '`docker stop` from outside local-dev' });
    expect(service('killed').container?.end).toMatchObject({ how: 'stopped', signal: 'SIGKILL', by: '`docker kill` from outside local-dev' });
    expect(service('restarting').container?.end?.by).toMatch(/^local-dev \(restart restarting: `.+`\)$/);
    // (Not cloned, so each also has "image-unknown" and "stale-definition": not what this test is about.)
    expect(
      model.problems
        .filter((problem) => ['stopped', 'exited', 'crashed'].includes(problem.kind))
        .map((problem) => `${problem.severity} ${problem.subject} ${problem.kind}`),
    ).toEqual(['error crashed crashed', 'warning stopped stopped', 'warning killed stopped', 'warning finished exited', 'warning restarting stopped']);
  });

  it('status prints the same judgement, with who stopped it', () => {
    const text = formatStatus(model);
    expect(text).toMatch(/^stopped +stopped +/m);
    expect(text).toMatch(/^crashed +crashed +/m);
    expect(text).toContain('⚠ stopped: container stopped by `docker stop` from outside local-dev (SIGTERM; exit code 143) at ');
    expect(text).toContain('⚠ killed: container stopped by `docker kill` from outside local-dev (SIGKILL; exit code 137) at ');
    expect(text).toContain('✖ crashed: container crashed (exit code 3) at ');
    expect(text).not.toMatch(/✖ (stopped|killed|restarting):/);
  });

  it('the dashboard view: a stop is grey "stopped", a crash red "crashed"', () => {
    const cards = new Map(dashboardView(model, new Map(), undefined).services.map((card) => [card.name, card]));
    expect(cards.get('stopped')).toMatchObject({
      state: 'stopped',
      stateLabel: 'stopped',
      tone: 'idle',
      container: { exitCode: 143, end: { how: 'stopped', signal: 'SIGTERM' } },
    });
    expect(cards.get('killed')).toMatchObject({ state: 'stopped', tone: 'idle' });
    expect(cards.get('crashed')).toMatchObject({ state: 'crashed', stateLabel: 'crashed', tone: 'bad' });
    expect(cards.get('finished')).toMatchObject({ state: 'exited', tone: 'bad' });
  });
});
