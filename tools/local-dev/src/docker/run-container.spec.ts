import { composeDocument, escapeDollars, type ComposeService } from '../compose/document';
import { parseConfigText } from '../config/load';
import { containerName, runArgs, startPlan } from './run-container';
import { LIVE_SUPERVISOR_SCRIPT } from './live-supervisor';

const container = (state: string, image = 'local-dev/a:1', definition = 'd', id = `id-${state}`) => ({ id, image, state, definition });

describe('startPlan', () => {
  it('leaves a running, current container alone', () => {
    expect(startPlan([container('running')], 'local-dev/a:1', 'd')).toEqual({ action: 'keep', id: 'id-running' });
  });

  it('starts a stopped container again only when it is current (after a reboot, docker stop, a crash)', () => {
    expect(startPlan([container('exited')], 'local-dev/a:1', 'd')).toEqual({ action: 'restart-stopped', id: 'id-exited' });
    expect(startPlan([container('created')], 'local-dev/a:1', 'd')).toEqual({ action: 'restart-stopped', id: 'id-created' });
  });

  it('creates afresh, removing what is there, when the image or definition changed, or the state is not startable', () => {
    expect(startPlan([], 'local-dev/a:1', 'd')).toEqual({ action: 'create', remove: [] });
    expect(startPlan([container('exited', 'local-dev/a:0')], 'local-dev/a:1', 'd')).toEqual({ action: 'create', remove: ['id-exited'] });
    expect(startPlan([container('running', 'local-dev/a:1', 'old')], 'local-dev/a:1', 'd')).toEqual({ action: 'create', remove: ['id-running'] });
    expect(startPlan([container('paused')], 'local-dev/a:1', 'd')).toEqual({ action: 'create', remove: ['id-paused'] });
    expect(startPlan([container('restarting')], 'local-dev/a:1', 'd')).toEqual({ action: 'create', remove: ['id-restarting'] });
    expect(startPlan([container('exited', 'local-dev/a:1', 'd', 'x'), container('exited', 'local-dev/a:1', 'd', 'y')], 'local-dev/a:1', 'd')).toEqual({
      action: 'create',
      remove: ['x', 'y'],
    });
  });
});

describe('startPlan with a container the dev target synced files into', () => {
  const synced = (id: string) => ({ id, files: 3 });
  // [what is there, the synced container] → the plan: a live container is never kept or started as it is.
  const table: [string, ReturnType<typeof container>[], { id: string; files: number } | undefined, ReturnType<typeof startPlan>][] = [
    [
      'running, current, live',
      [container('running')],
      synced('id-running'),
      { action: 'create', remove: ['id-running'], replacesSynced: synced('id-running') },
    ],
    ['stopped, current, live', [container('exited')], synced('id-exited'), { action: 'create', remove: ['id-exited'], replacesSynced: synced('id-exited') }],
    [
      'running, outdated, live',
      [container('running', 'local-dev/a:0')],
      synced('id-running'),
      { action: 'create', remove: ['id-running'], replacesSynced: synced('id-running') },
    ],
    ['running, current; the record names another container', [container('running')], synced('id-gone'), { action: 'keep', id: 'id-running' }],
    ['stopped, current; the record names another container', [container('exited')], synced('id-gone'), { action: 'restart-stopped', id: 'id-exited' }],
    ['running, current, nothing synced', [container('running')], undefined, { action: 'keep', id: 'id-running' }],
  ];
  it.each(table)('%s', (_case, containers, live, plan) => {
    expect(startPlan(containers, 'local-dev/a:1', 'd', live)).toEqual(plan);
  });
});

describe('runArgs', () => {
  const entry: ComposeService = {
    image: '${LOCAL_DEV_IMAGE_HEALTH_API:-local-dev/health-api:latest}',
    build: { context: './cloned/health', dockerfile: 'health.dev.Dockerfile', labels: {} },
    networks: ['oh-network'],
    ports: ['127.0.0.1:8000:8000', '0.0.0.0:53:53/udp'],
    environment: { PRICE: escapeDollars('$5 and $$HOME'), REDIS_HOST: 'host.docker.internal' },
    extra_hosts: ['host.docker.internal:host-gateway'],
    init: true,
    labels: { 'io.local-dev.service': 'health-api', 'io.local-dev.workspace': 'ws', 'io.local-dev.definition': 'def' },
  };

  it('gives docker run exactly the compose entry, with the image of the current hash and the labels compose sets', () => {
    expect(runArgs({ project: 'local-dev-1234', service: 'health-api', projectDirectory: '/ws', image: 'local-dev/health-api:abc', entry })).toEqual([
      'run',
      '--detach',
      '--name',
      'local-dev-1234_health-api_1',
      '--network',
      'oh-network',
      '--network-alias',
      'health-api',
      '--publish',
      '127.0.0.1:8000:8000',
      '--publish',
      '0.0.0.0:53:53/udp',
      // compose would pass the value as config.yaml wrote it: its $$ escaping undone, once.
      '--env',
      'PRICE=$5 and $$HOME',
      '--env',
      'REDIS_HOST=host.docker.internal',
      '--add-host',
      'host.docker.internal:host-gateway',
      '--init',
      '--label',
      'io.local-dev.service=health-api',
      '--label',
      'io.local-dev.workspace=ws',
      '--label',
      'io.local-dev.definition=def',
      '--label',
      'com.docker.compose.project=local-dev-1234',
      '--label',
      'com.docker.compose.service=health-api',
      '--label',
      'com.docker.compose.oneoff=False',
      '--label',
      'com.docker.compose.container-number=1',
      '--label',
      'com.docker.compose.project.working_dir=/ws',
      'local-dev/health-api:abc',
    ]);
    expect(containerName('local-dev-1234', 'health-api')).toBe('local-dev-1234_health-api_1');
  });

  it('publishes what the compose file publishes, on the same addresses: 127.0.0.1 unless config.yaml names one, the debugger always there', () => {
    const model = parseConfigText(
      'services:\n  api:\n    repo: file:///x/api.git\n    ports: ["8000:8000", "0.0.0.0:8001:8001"]\n    debug-port: 9229\n',
      'config.yaml',
    );
    const api = composeDocument(model, { namespace: 's1', workspaceId: 'ws' }).services.api;
    const args = runArgs({ project: 'local-dev-1234', service: 'api', projectDirectory: '/ws', image: 'local-dev/api:abc', entry: api });
    const published = args.filter((_, index) => args[index - 1] === '--publish');
    expect(published).toEqual(['127.0.0.1:8000:8000', '0.0.0.0:8001:8001', '127.0.0.1:5726:9229']);
    expect(published).toEqual(api.ports);
  });

  it('create takes the same arguments as run, without --detach (the container is started later)', () => {
    const model = parseConfigText('services:\n  api:\n    repo: file:///x/api.git\n', 'config.yaml');
    const spec = {
      project: 'p',
      service: 'api',
      projectDirectory: '/ws',
      image: 'local-dev/api:abc',
      entry: composeDocument(model, { namespace: 's1', workspaceId: 'ws' }).services.api,
    };
    expect(runArgs(spec, 'create')).toEqual(['create', ...runArgs(spec).slice(2)]);
    expect(runArgs(spec).slice(0, 2)).toEqual(['run', '--detach']);
  });

  it("runs the image's own command under the live supervisor when asked, labelled so, with the definition label unchanged", () => {
    const spec = { project: 'local-dev-1234', service: 'health-api', projectDirectory: '/ws', image: 'local-dev/health-api:abc', entry };
    const plain = runArgs(spec);
    const supervised = runArgs({ ...spec, supervise: ['sh', '-c', 'exec python3 app.py'] });
    const imageAt = supervised.indexOf('local-dev/health-api:abc');
    expect(supervised.slice(imageAt - 2, imageAt)).toEqual(['--entrypoint', '/bin/sh']);
    expect(supervised.slice(imageAt + 1)).toEqual(['-c', LIVE_SUPERVISOR_SCRIPT, 'local-dev-live', 'sh', '-c', 'exec python3 app.py']);
    expect(supervised).toContain('io.local-dev.live-supervisor=1');
    expect(supervised).toContain('io.local-dev.definition=def');
    // Everything else is the plain run's: the same container, only its main process differs.
    expect(supervised.slice(0, imageAt - 4)).toEqual(plain.slice(0, -1));
    expect(plain).not.toContain('--entrypoint');
    expect(plain.at(-1)).toBe('local-dev/health-api:abc');
  });
});
