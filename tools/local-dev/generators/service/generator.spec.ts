import { logger, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parseConfigText } from '../../src/config/load';
import serviceGenerator from './generator';

const CONFIG = 'repos_docker_files/config.yaml';
const TEXT = `# yaml-language-server: $schema=./config.schema.json
# The team's catalog: keep this comment.
default-namespace: s1

services:
  api:
    repo: git@example.com:team/api.git   # the main API
    ports: ["8000:8000"]
    debug-port: 5678
    environment: &django { DJANGO_SETTINGS_MODULE: app.settings }

  orders:
    repo: git@example.com:team/orders.git
    ports: ["8100:8100"]
    environment: *django
`;

function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write(CONFIG, TEXT);
  tree.write('repos_docker_files/api.dev.Dockerfile', 'FROM busybox:1.36\nCMD ["httpd", "-f"]\n');
  for (const namespace of ['s1', 's2']) tree.write(`configs/${namespace}/README.md`, `# ${namespace}\n`);
  return tree;
}

describe('the service generator', () => {
  beforeEach(() => jest.spyOn(logger, 'info').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('adds the entry at the end of services, keeping every comment, the anchor and the order of what was there', () => {
    const tree = workspace();
    serviceGenerator(tree, { name: 'payments', repo: 'git@example.com:team/payments.git', port: ['8300:8300'], debugPort: 5678, healthPath: '/health' });
    const text = tree.read(CONFIG, 'utf8') ?? '';
    expect(text.startsWith(TEXT.replace(/\n$/, ''))).toBe(true);
    expect(text.slice(TEXT.length - 1)).toBe(
      [
        '',
        '',
        '  payments:',
        '    repo: git@example.com:team/payments.git',
        '    ports: ["8300:8300"]',
        '    debug-port: 5678',
        '    healthcheck:',
        '      http: /health',
        '',
      ].join('\n'),
    );
    const model = parseConfigText(text, CONFIG);
    expect(model.services.map((service) => service.name)).toEqual(['api', 'orders', 'payments']);
    expect(model.services.find((service) => service.name === 'orders')?.environment).toEqual({ DJANGO_SETTINGS_MODULE: 'app.settings' });
    // Debugger host ports are handed out in config order: api has 5726, so payments gets 5727.
    expect(model.services.find((service) => service.name === 'payments')?.debug).toEqual({ containerPort: 5678, hostPort: 5727 });
  });

  it('writes a dev Dockerfile template, the project folder, and a .example template per namespace for each --secret', () => {
    const tree = workspace();
    serviceGenerator(tree, { name: 'payments', repo: '/srv/git/payments.git', port: '8300:8300', secret: 'payments_secrets.py:app/secrets.py' });
    expect(tree.read('repos_docker_files/payments.dev.Dockerfile', 'utf8')).toContain('EXPOSE 8300');
    expect(tree.read('services/payments/README.md', 'utf8')).toContain('# payments');
    for (const namespace of ['s1', 's2']) expect(tree.exists(`configs/${namespace}/payments_secrets.py.example`)).toBe(true);
    expect(parseConfigText(tree.read(CONFIG, 'utf8') ?? '', CONFIG).repos.find((repo) => repo.owner === 'payments')?.configs).toEqual([
      expect.objectContaining({ source: 'payments_secrets.py', dest: 'app/secrets.py', required: true }),
    ]);
  });

  it("copies another service's Dockerfile with --dockerfile-from", () => {
    const tree = workspace();
    serviceGenerator(tree, { name: 'payments', repo: '/srv/git/payments.git', dockerfileFrom: 'api' });
    expect(tree.read('repos_docker_files/payments.dev.Dockerfile', 'utf8')).toBe('FROM busybox:1.36\nCMD ["httpd", "-f"]\n');
  });

  it("adds a worker under its owner's workers, with no repo of its own", () => {
    const tree = workspace();
    serviceGenerator(tree, { name: 'orders-worker', workerOf: 'orders' });
    const model = parseConfigText(tree.read(CONFIG, 'utf8') ?? '', CONFIG);
    expect(model.services.find((service) => service.name === 'orders-worker')).toMatchObject({ kind: 'worker', owner: 'orders', dir: 'orders' });
    expect(tree.read(CONFIG, 'utf8')).toContain('    workers:\n      orders-worker: {}\n');
  });

  it("refuses a host port another service publishes, with the run's own message and line, and writes nothing", () => {
    const tree = workspace();
    expect(() => serviceGenerator(tree, { name: 'payments', repo: '/srv/git/payments.git', port: ['8100:8100'] })).toThrow(
      /payments cannot be added: the result would not pass a run's checks\.\n1 problem in repos_docker_files\/config\.yaml:\n {2}repos_docker_files\/config\.yaml:19: host port 8100 of payments is already published by orders/,
    );
    expect(tree.read(CONFIG, 'utf8')).toBe(TEXT);
    expect(tree.exists('repos_docker_files/payments.dev.Dockerfile')).toBe(false);
  });

  it('refuses a name already in use, an unknown owner, and a service without a repo, each with its fix', () => {
    expect(() => serviceGenerator(workspace(), { name: 'orders', repo: '/x.git' })).toThrow('orders is already in repos_docker_files/config.yaml');
    expect(() => serviceGenerator(workspace(), { name: 'w', workerOf: 'nope' })).toThrow(
      '--worker-of nope: no such service in repos_docker_files/config.yaml\n  fix: name one of: api, orders',
    );
    expect(() => serviceGenerator(workspace(), { name: 'payments' })).toThrow('--repo is required for a service');
  });

  it('prints the change to config.yaml (what --dry-run shows) and the next command', () => {
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    serviceGenerator(workspace(), { name: 'payments', repo: '/srv/git/payments.git', debugPort: 9229 });
    const printed = info.mock.calls.map((call) => String(call[0])).join('\n');
    expect(printed).toContain('+  payments:\n+    repo: /srv/git/payments.git\n+    debug-port: 9229');
    expect(printed).toContain('next: npx nx run payments:up; its debugger: localhost:5727');
  });
});
