import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RepoModel, ServiceModel, WorkspaceModel } from '../config/model';
import { workspacePaths } from '../core/workspace';
import type { ContainerFacts } from './docker-facts';
import { formatChecks, heldByOurs, namespaceChecks, namesSharedWithOtherWorkspaces, runDoctor, secretChecks } from './doctor';

const service = (name: string, overrides: Partial<ServiceModel> = {}) => ({ name, owner: name, buildSecrets: [], ports: [], ...overrides }) as unknown as ServiceModel;
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
    ).toBe(['✔ compose: v2', '✖ kubectl: no context', '    fix: pick one', '⚠ injected files: x (edited)', '    fix: inject again', '', '1 of 3 checks failed.', ''].join('\n'));
    expect(formatChecks([{ name: 'a', result: 'warn', detail: 'd' }])).toContain('All 1 checks passed (1 warning).');
  });

  it('names each required secret file missing for the chosen services only', () => {
    writeFileSync(path.join(root, 'configs', 's1', 'present.py'), '');
    const model = {
      repos: [
        repo('api', [{ source: 'present.py', dest: 'a', required: true }, { source: 'absent.py', dest: 'b', required: true }, { source: 'optional.py', dest: 'c', required: false }]),
        repo('web', [{ source: 'web.env', dest: 'd', required: true }]),
      ],
    } as unknown as WorkspaceModel;
    const checks = namespaceChecks({ paths: workspacePaths(root), model, namespace: 's1', services: [service('api')] });
    expect(checks[1]).toMatchObject({ name: 'required secret files', result: 'fail', detail: 'missing in configs/s1/: absent.py (for api)' });
  });

  it('asks for GITHUB_NPM_TOKEN only where a chosen service needs it, reading the environment and .env.local', () => {
    const web = service('oms-web', { buildSecrets: ['GITHUB_NPM_TOKEN'] });
    const paths = workspacePaths(root);
    expect(secretChecks({ paths, services: [service('api')], environment: {} })).toEqual([{ name: 'build secrets', result: 'ok', detail: 'no chosen service needs one' }]);
    expect(secretChecks({ paths, services: [web], environment: {} })[0]).toMatchObject({ name: 'build secret GITHUB_NPM_TOKEN', result: 'fail', detail: 'not set (needed to build oms-web)' });
    expect(secretChecks({ paths, services: [web], environment: { GITHUB_NPM_TOKEN: 'x' } })[0].result).toBe('ok');
    writeFileSync(path.join(root, '.env.local'), 'GITHUB_NPM_TOKEN=from-file\n');
    expect(secretChecks({ paths, services: [web], environment: {} })[0].result).toBe('ok');
  });

  it('finds the other workspaces\' containers answering to our service names on the network, not ours, not foreign ones, not other names', () => {
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

  it('checks redis-server, not kubectl, for a namespace whose Redis is local (no cluster involved)', async () => {
    const model = { network: 'doctor-test-net', redis: { mode: 'tunnel', namespaceModes: { s1: 'local' } }, services: [], repos: [] } as unknown as WorkspaceModel;
    const checks = await runDoctor({ paths: workspacePaths(root), model, namespace: 's1', services: [], environment: {} });
    const names = checks.map((check) => check.name);
    // The real redis-server of this machine (scripts/setup-machine.sh installs it).
    expect(checks.find((check) => check.name === 'redis-server')).toMatchObject({ result: 'ok', detail: expect.stringContaining('(redis.mode: local)') });
    expect(names.filter((name) => name.startsWith('kubectl'))).toEqual([]);
  }, 60_000);
});
