import type { RepoModel, ServiceModel } from '../config/model';
import { planInjection, type Inventory } from './plan';

function service(name: string, extra: Partial<ServiceModel> = {}): ServiceModel {
  return {
    name,
    kind: 'service',
    owner: name,
    dir: 'oms',
    dockerfile: `${name}.dev.Dockerfile`,
    ports: [],
    environment: {},
    buildArgs: {},
    buildSecrets: [],
    healthcheck: { type: 'none' },
    dependsOn: [],
    ...extra,
  };
}

const repo: RepoModel = {
  url: 'git@github.com:o/oms.git',
  dir: 'oms',
  branch: 'master',
  alwaysRefresh: false,
  owner: 'oms-api',
  services: ['oms-api', 'oms-worker'],
  configs: [
    { source: 'oms.yaml', dest: 'config/local.yaml', required: true },
    { source: 'oms.env', dest: './.env', required: false },
  ],
};
const services = [service('oms-api'), service('oms-worker', { kind: 'worker', owner: 'oms-api', debug: { containerPort: 5678, hostPort: 5730 } })];

function inventory(extra: Partial<Inventory> = {}): Inventory {
  return {
    configFiles: new Set(['oms.yaml']),
    dockerfiles: new Set(['oms-api.dev.Dockerfile', 'oms-worker.dev.Dockerfile', 's2/oms-worker.dev.Dockerfile']),
    debugFiles: [],
    links: new Map(),
    ...extra,
  };
}

describe('planInjection', () => {
  it('plans configs, each service Dockerfile (namespace override first) and notes skipped optional files', () => {
    const plan = planInjection({ namespace: 's2', repo, services, inventory: inventory() });
    expect(plan.problems).toEqual([]);
    expect(plan.notes).toEqual(['skipped configs/s2/oms.env → ./.env: not present in namespace s2 (optional)']);
    expect(plan.files.map((file) => [file.kind, file.origin, file.dest, file.note])).toEqual([
      ['config', 'configs/s2/oms.yaml', 'config/local.yaml', undefined],
      ['dockerfile', 'repos_docker_files/oms-api.dev.Dockerfile', 'oms-api.dev.Dockerfile', 'oms-api; shared, no s2/ override'],
      ['dockerfile', 'repos_docker_files/s2/oms-worker.dev.Dockerfile', 'oms-worker.dev.Dockerfile', 'oms-worker; namespace s2 override'],
    ]);
  });

  it('reports every missing required file and Dockerfile at once, pointing at the template', () => {
    const plan = planInjection({
      namespace: 'qa',
      repo,
      services,
      inventory: inventory({ configFiles: new Set(['oms.yaml.example']), dockerfiles: new Set(['oms-api.dev.Dockerfile']) }),
    });
    expect(plan.problems).toEqual([
      'configs/qa/oms.yaml is missing: oms-api needs it (required: true) in namespace qa — start from configs/qa/oms.yaml.example; see configs/README.md',
      'no Dockerfile for oms-worker: neither repos_docker_files/qa/oms-worker.dev.Dockerfile nor repos_docker_files/oms-worker.dev.Dockerfile exists (add one, or set dockerfile: in config.yaml)',
    ]);
  });

  it('refuses dests outside the clone and clashing dests', () => {
    const bad: RepoModel = {
      ...repo,
      configs: [
        { source: 'oms.yaml', dest: '../escape.yaml', required: true },
        { source: 'a.env', dest: '/etc/passwd', required: true },
        { source: 'b.env', dest: '.git/hooks/post-checkout', required: true },
        { source: 'c.env', dest: 'oms-api.dev.Dockerfile', required: true },
      ],
    };
    const plan = planInjection({
      namespace: 's1',
      repo: bad,
      services,
      inventory: inventory({ configFiles: new Set(['oms.yaml', 'a.env', 'b.env', 'c.env']) }),
    });
    expect(plan.problems).toEqual([
      'dest "../escape.yaml" for configs/s1/oms.yaml leads outside the clone ("..") (repos_docker_files/config.yaml, oms-api)',
      'dest "/etc/passwd" for configs/s1/a.env is an absolute path; it must be relative to the clone (repos_docker_files/config.yaml, oms-api)',
      'dest ".git/hooks/post-checkout" for configs/s1/b.env points into the clone\'s .git folder (repos_docker_files/config.yaml, oms-api)',
      'repos_docker_files/oms-api.dev.Dockerfile and configs/s1/c.env would both be written to cloned/oms/oms-api.dev.Dockerfile; change one dest',
    ]);
  });

  it('renders debug configs: .example dropped, a real file wins over its template, ports filled in', () => {
    const plan = planInjection({
      namespace: 's1',
      repo,
      services,
      inventory: inventory({
        debugFiles: [
          { path: '.vscode/launch.json.example', text: '{"port": {{debugHostPort}}}' },
          { path: '.idea/run.xml.example', text: 'template' },
          { path: '.idea/run.xml', text: '<port>{{debugContainerPort:oms-worker}}</port>' },
        ],
      }),
    });
    expect(plan.problems).toEqual([]);
    expect(plan.files.filter((file) => file.kind === 'debug-config').map((file) => [file.dest, file.source])).toEqual([
      ['.idea/run.xml', { type: 'text', text: '<port>5678</port>' }],
      ['.vscode/launch.json', { type: 'text', text: '{"port": 5730}' }],
    ]);
  });

  it('refuses a config source that leaves configs/<ns>/, saying so in those words', () => {
    const leaving: RepoModel = { ...repo, configs: [{ source: '../s2/oms.yaml', dest: 'config/local.yaml', required: true }] };
    const plan = planInjection({ namespace: 's1', repo: leaving, services, inventory: inventory() });
    expect(plan.problems).toEqual(['config source "../s2/oms.yaml" leads outside configs/s1/ ("..") (repos_docker_files/config.yaml, oms-api)']);
  });

  it('names no template for a missing required file that has none', () => {
    const plan = planInjection({ namespace: 'qa', repo, services, inventory: inventory({ configFiles: new Set() }) });
    expect(plan.problems).toEqual(['configs/qa/oms.yaml is missing: oms-api needs it (required: true) in namespace qa; see configs/README.md']);
  });

  it('injects a Dockerfile shared by two services once', () => {
    const sharing = [service('oms-api'), service('oms-worker', { kind: 'worker', owner: 'oms-api', dockerfile: 'oms-api.dev.Dockerfile' })];
    const plan = planInjection({ namespace: 's1', repo, services: sharing, inventory: inventory() });
    expect(plan.problems).toEqual([]);
    expect(plan.files.filter((file) => file.kind === 'dockerfile').map((file) => [file.origin, file.note])).toEqual([
      ['repos_docker_files/oms-api.dev.Dockerfile', 'oms-api; shared, no s1/ override'],
    ]);
  });

  // issue 15, survivor 2: the clash is found on the normalized dest, not on the text in config.yaml.
  it('reports a clash between dests that differ only in how they are written ("./.env" and ".env"), in either order', () => {
    const planOf = (dests: [string, string]) =>
      planInjection({
        namespace: 's1',
        repo: {
          ...repo,
          configs: [
            { source: 'oms.env', dest: dests[0], required: true },
            { source: 'other.env', dest: dests[1], required: true },
          ],
        },
        services,
        inventory: inventory({ configFiles: new Set(['oms.env', 'other.env']) }),
      });
    const clash = 'configs/s1/other.env and configs/s1/oms.env would both be written to cloned/oms/.env; change one dest';
    expect(planOf(['./.env', '.env']).problems).toEqual([clash]);
    expect(planOf(['.env', './.env']).problems).toEqual([clash]);
  });
});
