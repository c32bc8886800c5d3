import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RepoModel, ServiceModel, WorkspaceModel } from '../config/model';
import { workspacePaths } from '../core/workspace';
import type { ContainerFacts } from './docker-facts';
import { parseConfigText } from '../config/load';
import { exposureChecks, formatChecks, heldByOurs, namespaceChecks, namesSharedWithOtherWorkspaces, runDoctor, secretChecks } from './doctor';

const service = (name: string, overrides: Partial<ServiceModel> = {}) =>
  ({ name, owner: name, buildSecrets: [], ports: [], ...overrides }) as unknown as ServiceModel;
const repo = (owner: string, configs: RepoModel['configs']) => ({ owner, dir: owner, configs }) as unknown as RepoModel;

describe('doctor', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'local-dev-doctor-'));
    mkdirSync(path.join(root, 'configs', 's1'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('prints each check, a fix under each failure, and a count', () => {
    expect(
      formatChecks([
        { name: 'compose', result: 'ok', detail: 'v2', fix: 'never shown' },
        { name: 'kubectl', result: 'fail', detail: 'no context', fix: 'pick one' },
        { name: 'injected files', result: 'warn', detail: 'x (edited)', fix: 'inject again' },
      ]),
    ).toBe(
      [
        '✔ compose: v2',
        '✖ kubectl: no context',
        '    fix: pick one',
        '⚠ injected files: x (edited)',
        '    fix: inject again',
        '',
        '1 of 3 checks failed.',
        '',
      ].join('\n'),
    );
    expect(formatChecks([{ name: 'a', result: 'warn', detail: 'd' }])).toContain('All 1 checks passed (1 warning).');
  });

  it('names each required secret file missing for the chosen services only', () => {
    writeFileSync(path.join(root, 'configs', 's1', 'present.py'), '');
    const model = {
      repos: [
        repo('api', [
          { source: 'present.py', dest: 'a', required: true },
          { source: 'absent.py', dest: 'b', required: true },
          { source: 'optional.py', dest: 'c', required: false },
        ]),
        repo('web', [{ source: 'web.env', dest: 'd', required: true }]),
      ],
    } as unknown as WorkspaceModel;
    const checks = namespaceChecks({ paths: workspacePaths(root), model, namespace: 's1', services: [service('api')] });
    expect(checks[1]).toMatchObject({ name: 'required secret files', result: 'fail', detail: 'missing in configs/s1/: absent.py (for api)' });
  });

  it('asks for GITHUB_NPM_TOKEN only where a chosen service needs it, reading the environment and .env.local', () => {
    const web = service('oms-web', { buildSecrets: ['GITHUB_NPM_TOKEN'] });
    const paths = workspacePaths(root);
    expect(secretChecks({ paths, services: [service('api')], environment: {} })).toEqual([
      { name: 'build secrets', result: 'ok', detail: 'no chosen service needs one' },
    ]);
    expect(secretChecks({ paths, services: [web], environment: {} })[0]).toMatchObject({
      name: 'build secret GITHUB_NPM_TOKEN',
      result: 'fail',
      detail: 'not set (needed to build oms-web)',
    });
    expect(secretChecks({ paths, services: [web], environment: { GITHUB_NPM_TOKEN: 'x' } })[0].result).toBe('ok');
    writeFileSync(path.join(root, '.env.local'), 'GITHUB_NPM_TOKEN=from-file\n');
    expect(secretChecks({ paths, services: [web], environment: {} })[0].result).toBe('ok');
  });

  it("finds the other workspaces' containers answering to our service names on the network, not ours, not foreign ones, not other names", () => {
    const container = (name: string, workspace: string, service: string) => ({ name, workspace, service, folder: '/elsewhere' });
    const onNetwork = [
      container('ours', 'this-ws', 'api'),
      container('theirs-api', 'other-ws', 'api'),
      container('theirs-web', 'other-ws', 'web'),
      container('postgres', '', 'api'),
    ];
    expect(namesSharedWithOtherWorkspaces(onNetwork, 'this-ws', ['api', 'worker']).map((found) => found.name)).toEqual(['theirs-api']);
  });

  it('a host port published by our own running container is ours to hold', () => {
    const container = { status: 'running', ports: [{ containerPort: 8080, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8000 }] } as ContainerFacts;
    expect(heldByOurs(8000, [container])).toBe(container);
    expect(heldByOurs(8001, [container])).toBeUndefined();
    expect(heldByOurs(8000, [{ ...container, status: 'exited' }])).toBeUndefined();
  });

  it('warns about ports config.yaml publishes beyond this machine, naming each; the rest are on 127.0.0.1', () => {
    const model = parseConfigText(
      [
        'services:',
        '  api:',
        '    repo: file:///x/api.git',
        '    ports: ["0.0.0.0:8000:8000", "8001:8001", "127.0.0.1:8002:8002"]',
        '    debug-port: 5678',
        '  web:',
        '    repo: file:///x/web.git',
        '    ports: ["192.168.1.20:3000:3000/udp"]',
        '',
      ].join('\n'),
      'config.yaml',
    );
    expect(exposureChecks(model.services)).toEqual([
      {
        name: 'published ports',
        result: 'warn',
        detail:
          'reachable from other machines on the network: 8000 of api ("0.0.0.0:8000:8000", all interfaces), 3000 of web ("192.168.1.20:3000:3000/udp", 192.168.1.20)',
        fix: 'if no other machine needs them, drop the address in repos_docker_files/config.yaml: "8000:8000" is published on 127.0.0.1 only',
      },
    ]);
    // The debugger (5726) is never listed: it is on 127.0.0.1 whatever config.yaml says.
    expect(exposureChecks(model.services.slice(0, 1))[0].detail).not.toContain('5726');
    const loopbackOnly = parseConfigText('services:\n  api:\n    repo: file:///x/api.git\n    ports: ["8001:8001"]\n    debug-port: 5678\n', 'config.yaml');
    expect(exposureChecks(loopbackOnly.services)).toEqual([{ name: 'published ports', result: 'ok', detail: 'all 2 on 127.0.0.1 (this machine only)' }]);
    expect(exposureChecks([service('worker')])).toEqual([{ name: 'published ports', result: 'ok', detail: 'none' }]);
  });

  it('reports the ports published on all interfaces among its checks, as a warning; checks each host port on the address it is published on', async () => {
    const listen = (host: string) =>
      new Promise<net.Server>((resolve) => {
        const server = net.createServer().listen(0, host, () => resolve(server));
      });
    const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;
    // One holder on 127.0.0.1 (blocks "P:8001", published there) and one on [::1] only (Docker publishes "Q:8002" on 127.0.0.1 beside it).
    const [loopbackHolder, ipv6Holder, spare] = await Promise.all([listen('127.0.0.1'), listen('::1'), listen('127.0.0.1')]);
    const wide = portOf(spare);
    await new Promise((resolve) => spare.close(resolve));
    try {
      // 192.0.2.1 (TEST-NET-1) is no address of this machine: the host ports check passes it instead of stopping doctor.
      const ports = [`"0.0.0.0:${wide}:8000"`, `"${portOf(loopbackHolder)}:8001"`, `"${portOf(ipv6Holder)}:8002"`, '"192.0.2.1:45124:8003"'];
      const model = parseConfigText(
        `network: doctor-test-net\nredis: { mode: local }\nservices:\n  api:\n    repo: file:///x/api.git\n    ports: [${ports.join(', ')}]\n`,
        'config.yaml',
      );
      const checks = await runDoctor({ paths: workspacePaths(root), model, namespace: 's1', services: model.services, environment: {} });
      expect(checks.find((check) => check.name === 'published ports')).toMatchObject({
        result: 'warn',
        detail: expect.stringContaining(`${wide} of api ("0.0.0.0:${wide}:8000", all interfaces)`),
      });
      expect(formatChecks(checks)).toContain(`⚠ published ports: reachable from other machines on the network: ${wide} of api`);
      expect(checks.find((check) => check.name === 'host ports')).toMatchObject({
        result: 'fail',
        detail: expect.stringMatching(new RegExp(`^${portOf(loopbackHolder)} \\(api\\) is taken by pid ${process.pid} \\([^;]*\\)$`)),
      });
    } finally {
      loopbackHolder.close();
      ipv6Holder.close();
    }
  }, 60_000);

  it('checks redis-server, not kubectl, for a namespace whose Redis is local (no cluster involved)', async () => {
    const model = {
      network: 'doctor-test-net',
      redis: { mode: 'tunnel', namespaceModes: { s1: 'local' } },
      services: [],
      repos: [],
    } as unknown as WorkspaceModel;
    const checks = await runDoctor({ paths: workspacePaths(root), model, namespace: 's1', services: [], environment: {} });
    const names = checks.map((check) => check.name);
    // The real redis-server of this machine (scripts/setup-machine.sh installs it).
    expect(checks.find((check) => check.name === 'redis-server')).toMatchObject({ result: 'ok', detail: expect.stringContaining('(redis.mode: local)') });
    expect(names.filter((name) => name.startsWith('kubectl'))).toEqual([]);
  }, 60_000);

  it('asks git about a repo as a clone does: a password in an ssh URL is refused before git runs, a URL is never read as an option', async () => {
    const services = [service('api'), service('web')];
    const model = {
      network: 'doctor-test-net',
      redis: { mode: 'local', namespaceModes: {} },
      services,
      repos: [
        { ...repo('api', []), url: 'ssh://deploy:hunter2@git.example.invalid/team/api.git' },
        // Not a URL git would ever clone: as an argument before `--`, git would take it for its --upload-pack option.
        { ...repo('web', []), url: `--upload-pack=touch ${path.join(root, 'pwned')}` },
      ],
    } as unknown as WorkspaceModel;
    const checks = await runDoctor({ paths: workspacePaths(root), model, namespace: 's1', services, environment: {} });
    expect(checks.find((check) => check.name === 'git access api')).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('has a password, which git cannot use over ssh'),
      fix: expect.stringContaining('ssh://deploy@git.example.invalid/team/api.git'),
    });
    expect(checks.find((check) => check.name === 'git access web')).toMatchObject({ result: 'fail' });
    expect(existsSync(path.join(root, 'pwned'))).toBe(false);
  }, 60_000);
});
