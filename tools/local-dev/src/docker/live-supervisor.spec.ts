/**
 * The live supervisor: which images it wraps (pure), and, on the real engine, a busybox image whose
 * command runs through sh, created as `up` creates it (runContainer, init: true) and restarted as
 * the dev target restarts it (restartContainer): the program starts again, the container does not.
 */
import { execFileSync } from 'node:child_process';
import type { ComposeService } from '../compose/document';
import type { ServiceModel } from '../config/model';
import { restartContainer } from '../live/sync';
import { imageCommand, programProcesses, supervisableCommand } from './live-supervisor';
import { containerName, runContainer } from './run-container';

jest.setTimeout(90_000);

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

describe('supervisableCommand', () => {
  it('wraps an image whose own command runs through sh or bash: entrypoint, then cmd', () => {
    expect(supervisableCommand({ entrypoint: null, cmd: ['sh', '-c', 'exec python3 app.py'] })).toEqual(['sh', '-c', 'exec python3 app.py']);
    expect(supervisableCommand({ entrypoint: ['/bin/bash', '-c'], cmd: ['exec node server.js'] })).toEqual(['/bin/bash', '-c', 'exec node server.js']);
    expect(supervisableCommand({ entrypoint: ['/bin/sh'], cmd: null })).toEqual(['/bin/sh']);
  });

  it('leaves any other image as it is (it may have no shell): the restart is then docker restart', () => {
    expect(supervisableCommand({ entrypoint: null, cmd: ['python3', 'app.py'] })).toBeUndefined();
    expect(supervisableCommand({ entrypoint: ['/docker-entrypoint.sh'], cmd: ['sh', '-c', 'x'] })).toBeUndefined();
    expect(supervisableCommand({ entrypoint: ['/usr/bin/zsh'], cmd: ['-c', 'x'] })).toBeUndefined();
    expect(supervisableCommand({ entrypoint: null, cmd: null })).toBeUndefined();
    expect(supervisableCommand({ entrypoint: [], cmd: [] })).toBeUndefined();
  });
});

describe('programProcesses', () => {
  // docker-init 100 → supervisor 101 → program 102 → its child 103; 200: a `docker exec` shell (not below the supervisor).
  const rows = [
    { pid: 100, ppid: 90 },
    { pid: 101, ppid: 100 },
    { pid: 102, ppid: 101 },
    { pid: 103, ppid: 102 },
    { pid: 200, ppid: 91 },
  ];
  it('finds the program and all it started below the supervisor (the child of docker-init with init)', () => {
    expect([...programProcesses(rows, 100, true)].sort()).toEqual([102, 103]);
  });
  it('takes PID 1 as the supervisor without init', () => {
    expect([...programProcesses(rows.slice(1), 101, false)].sort()).toEqual([102, 103]);
  });
  it('finds nothing when the supervisor has no child (between two runs of the program)', () => {
    expect(programProcesses(rows.slice(0, 2), 100, true).size).toBe(0);
  });
});

describe('a container under the live supervisor (real engine, busybox)', () => {
  const image = 'local-dev-spec/live-supervisor:1';
  const project = 'local-dev-spec-supervisor';
  const service = 'supervised';
  // Each start of the program appends a line; TERM ends it with 0 (graceful); /exit makes it exit 7 on its own.
  const program = 'echo started >> /starts; trap "exit 0" TERM; while [ ! -f /exit ]; do sleep 0.1; done; exit 7';
  const entry: ComposeService = {
    image,
    build: { context: '.', dockerfile: 'Dockerfile', labels: {} },
    networks: [],
    environment: {},
    extra_hosts: [],
    init: true,
    labels: { 'io.local-dev.test': 'live-supervisor', 'io.local-dev.definition': 'def' },
  };
  const model = { name: service, healthcheck: { type: 'none' } } as ServiceModel;
  let id = '';
  const inspect = (format: string) => docker('inspect', '--format', format, id);
  const starts = () => docker('exec', id, 'cat', '/starts').split('\n').length;

  beforeAll(() => {
    execFileSync('docker', ['build', '--quiet', '--tag', image, '-'], {
      input: `FROM busybox:1.36\nCMD ["sh", "-c", ${JSON.stringify(program)}]\n`,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  });
  beforeEach(async () => {
    execFileSync('docker', ['rm', '--force', containerName(project, service)], { stdio: 'ignore' });
    const supervise = supervisableCommand(await imageCommand(image));
    expect(supervise).toEqual(['sh', '-c', program]);
    id = await runContainer({ project, service, projectDirectory: '/nowhere', image, entry, supervise });
    for (let tries = 0; tries < 50 && docker('exec', id, 'sh', '-c', 'cat /starts 2>/dev/null || true') === ''; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  afterEach(() => {
    if (id) docker('rm', '--force', id);
  });
  afterAll(() => {
    docker('image', 'rm', image);
  });

  it('restarts the program on a restart, keeping the container (same id, same StartedAt), its label and definition', async () => {
    const startedAt = inspect('{{.State.StartedAt}}');
    expect(inspect('{{index .Config.Labels "io.local-dev.live-supervisor"}} {{index .Config.Labels "io.local-dev.definition"}}')).toBe('1 def');
    expect(starts()).toBe(1);
    await restartContainer(model, id, 'bridge');
    // restartContainer returns once the old program is gone; the new one has started or is starting.
    for (let tries = 0; tries < 50 && starts() < 2; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(starts()).toBe(2);
    await restartContainer(model, id, 'bridge');
    for (let tries = 0; tries < 50 && starts() < 3; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(starts()).toBe(3);
    expect(inspect('{{.Id}} {{.State.Running}} {{.State.StartedAt}} {{.RestartCount}}')).toBe(`${id} true ${startedAt} 0`);
  });

  it('docker stop ends the program gracefully and promptly (not after the 10 s kill), with its status', () => {
    const began = Date.now();
    docker('stop', id);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(inspect('{{.State.Running}} {{.State.ExitCode}}')).toBe('false 0');
  });

  it('the program exiting on its own stops the container with its status, as without the supervisor', async () => {
    docker('exec', id, 'touch', '/exit');
    for (let tries = 0; tries < 100 && inspect('{{.State.Running}}') === 'true'; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inspect('{{.State.Running}} {{.State.ExitCode}}')).toBe('false 7');
  });
});
