import { apiContainer as container, apiRepo as repo, apiService as serviceModel, OLD_IMAGE as OLD, WANTED_IMAGE as WANTED } from '../../testing/stack-facts';
import type { LiveState } from '../live/state';
import type { ServiceFacts, StackFacts } from './facts';
import { clockTime, liveLine, liveProblem, liveView } from './live-view';
import { projectService, projectStack, type StackModel } from './model';
import { formatStatus } from './status-text';

/** An ISO time whose local clock reads 14:02:11, whatever the machine's time zone. */
const AT_14_02_11 = new Date(2026, 11, 5, 14, 2, 11).toISOString();

function facts(overrides: Partial<ServiceFacts> = {}): ServiceFacts {
  return {
    service: serviceModel(),
    repo,
    clone: { state: 'clone', branch: 'main', head: 'abc', upstream: 'origin/main', aheadBehind: { ahead: 0, behind: 0 }, changed: [], injection: undefined },
    definition: 'def1',
    containers: [container()],
    lock: undefined,
    image: { wanted: WANTED, wantedError: undefined, wantedExists: true, recorded: WANTED },
    live: { kind: 'image' },
    ...overrides,
  };
}

const synced = (watching: boolean, files = 3): LiveState => ({ kind: 'live', files, lastAt: AT_14_02_11, lastSummary: 'synced 1 file in 40 ms', watching });

function stack(live: LiveState, overrides: Partial<ServiceFacts> = {}): StackModel {
  const stackFacts: StackFacts = {
    at: new Date(AT_14_02_11),
    workspace: { root: '/ws', id: 'abc', composeProject: 'local-dev-abc' },
    namespace: { name: 's1', requested: false },
    network: { name: 'oh-network', exists: true },
    engine: { reachable: true },
    services: [facts({ live, ...overrides })],
    orphans: [],
    tunnel: { condition: 'absent' },
    run: undefined,
  };
  return projectStack(stackFacts);
}

describe('the live part of the stack model (pure)', () => {
  it('clockTime: the local time of day, two digits each', () => {
    expect(clockTime(AT_14_02_11)).toBe('14:02:11');
    expect(clockTime(new Date(2026, 0, 1, 9, 5, 7).toISOString())).toBe('09:05:07');
    expect(clockTime('not a time')).toBe('?');
  });

  it('liveView: null for an image, files/lastAt/watching otherwise', () => {
    expect(liveView({ kind: 'image' })).toBeNull();
    expect(liveView({ kind: 'watching' })).toEqual({ files: 0, lastAt: null, watching: true });
    expect(liveView(synced(true))).toEqual({ files: 3, lastAt: AT_14_02_11, watching: true });
    expect(liveView(synced(false, 1))).toEqual({ files: 1, lastAt: AT_14_02_11, watching: false });
  });

  it('liveLine: what status and the dashboard say, with whether dev watches', () => {
    expect(liveLine(null)).toBeUndefined();
    expect(liveLine(liveView(synced(true)))).toBe('live: image + 3 files synced, last at 14:02:11 (dev watching)');
    expect(liveLine(liveView(synced(false, 1)))).toBe('live: image + 1 file synced, last at 14:02:11 (dev stopped)');
    expect(liveLine(liveView({ kind: 'watching' }))).toBe('live: watching, nothing synced yet');
  });

  it('liveProblem: only a container holding synced files is worth a line (info, with the command that replaces it)', () => {
    expect(liveProblem('api', null)).toBeUndefined();
    expect(liveProblem('api', liveView({ kind: 'watching' }))).toBeUndefined();
    expect(liveProblem('api', liveView(synced(false)))).toEqual({
      kind: 'live',
      severity: 'info',
      message: 'live: image + 3 files synced, last at 14:02:11 (dev stopped)',
      fix: '`nx run api:up` replaces it with a container of the clone as it is now',
    });
  });
});

describe('status and status --json of a live container', () => {
  it('the table says live+N instead of current, and the problems list the live line', () => {
    const text = formatStatus(stack(synced(true)));
    expect(text).toMatch(/\napi +running +main +live\+3 +up /);
    expect(text).toContain('  · api: live: image + 3 files synced, last at 14:02:11 (dev watching)\n');
    expect(text).toContain('      fix: `nx run api:up` replaces it with a container of the clone as it is now\n');
    expect(text).not.toContain('No problems: everything runs as built.');
  });

  it('says when dev stopped (the container stays live)', () => {
    expect(formatStatus(stack(synced(false)))).toContain('  · api: live: image + 3 files synced, last at 14:02:11 (dev stopped)\n');
  });

  it('--json has live {files, lastAt, watching}, or null for a container that is its image', () => {
    const json = (live: LiveState) => (JSON.parse(JSON.stringify(stack(live))) as StackModel).services[0];
    expect(json(synced(true)).live).toEqual({ files: 3, lastAt: AT_14_02_11, watching: true });
    expect(json(synced(false)).live).toEqual({ files: 3, lastAt: AT_14_02_11, watching: false });
    expect(json({ kind: 'watching' }).live).toEqual({ files: 0, lastAt: null, watching: true });
    expect(json({ kind: 'image' }).live).toBeNull();
  });

  it('a live container is not "current", even running the wanted image', () => {
    expect(projectService(facts({ live: synced(true) }), 's1', true).container?.current).toBe(false);
    expect(projectService(facts(), 's1', true).container?.current).toBe(true);
    expect(formatStatus(stack({ kind: 'image' }))).toMatch(/\napi +running +main +current +up /);
  });

  it('one line, not two: the live line replaces the stale-image problem (synced edits change the inputs too)', () => {
    const model = stack(synced(true), {
      containers: [container({ image: OLD })],
      clone: { ...(facts().clone as object), changed: ['app/views.py'] } as ServiceFacts['clone'],
    });
    expect(model.services[0].problems.map((problem) => problem.kind)).toEqual(['dirty', 'live']);
    // Back to its image (up replaced it, the record names the old container): stale again, as before.
    const after = stack({ kind: 'image' }, { containers: [container({ image: OLD })] });
    expect(after.services[0].problems.map((problem) => problem.kind)).toEqual(['stale-image']);
  });

  it('dev watching with nothing synced yet: still its image, current, no line', () => {
    const model = stack({ kind: 'watching' });
    expect(model.services[0].problems).toEqual([]);
    expect(formatStatus(model)).toContain('No problems: everything runs as built.');
  });
});
