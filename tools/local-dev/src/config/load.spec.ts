import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { CONFIG_FILE as FILE, problemsOf, yaml } from '../../testing/config-text';
import { loadConfig, parseConfigText } from './load';
import { redisModeFor } from './model';

const CATALOG = readFileSync(path.resolve(__dirname, '../../../../repos_docker_files/config.yaml'), 'utf8');

describe('the shipped catalog', () => {
  const model = parseConfigText(CATALOG, FILE);

  it('has the 8 services of the 5 company repos, workers sharing the oms clone', () => {
    expect(model.services.map((service) => service.name)).toEqual([
      'health-api',
      'scheduler-api',
      'oms-api',
      'oms-worker',
      'oms-worker-scheduler',
      'oms-consumer-worker',
      'bifrost',
      'oms-web',
    ]);
    expect(model.repos.map((repo) => repo.dir)).toEqual(['health-api', 'scheduler-api', 'oms', 'bifrost', 'oms-web']);
    const omsWorker = model.services.find((service) => service.name === 'oms-worker');
    expect(omsWorker).toMatchObject({ kind: 'worker', owner: 'oms-api', dir: 'oms', dockerfile: 'oms-worker.dev.Dockerfile', dependsOn: ['oms-api'] });
  });

  it('gives both Python services their own debugger host port (the old tool mapped both to 5726)', () => {
    const debug = model.services.filter((service) => service.debug).map((service) => [service.name, service.debug]);
    expect(debug).toEqual([
      ['health-api', { containerPort: 5678, hostPort: 5726 }],
      ['scheduler-api', { containerPort: 5678, hostPort: 5727 }],
    ]);
  });

  it('fills the defaults users rely on', () => {
    expect(model.network).toBe('oh-network');
    expect(model.defaultNamespace).toBe('s1');
    expect(model.redis).toEqual({ deployment: 'redis', port: 6379, required: false, mode: 'tunnel', namespaceModes: {} });
    const health = model.repos.find((repo) => repo.owner === 'health-api');
    expect(health?.configs).toEqual([
      { source: 'health_secrets.py', dest: 'app/app/secrets.py', required: true },
      { source: 'health_creds.json', dest: 'serviceAccountKey.json', required: false },
    ]);
    expect(model.services.find((service) => service.name === 'bifrost')?.buildSecrets).toEqual(['GITHUB_NPM_TOKEN']);
  });
});

describe('defaults for a minimal config', () => {
  it('derives the clone folder, Dockerfile name and branch from the repo alone', () => {
    const model = parseConfigText(yaml(['services:', '  api:', '    repo: file:///srv/git/my-api.git']), FILE);
    expect(model.services[0]).toMatchObject({ dir: 'my-api', dockerfile: 'api.dev.Dockerfile', healthcheck: { type: 'none' }, ports: [] });
    expect(model.repos[0]).toMatchObject({ branch: undefined, alwaysRefresh: false, dir: 'my-api' });
  });

  it('treats the Redis tunnel as best effort unless redis.required is true', () => {
    const relaxed = parseConfigText(yaml(['redis: { port: 6390 }', 'services:', '  api:', '    repo: r.git']), FILE);
    expect(relaxed.redis).toEqual({ deployment: 'redis', port: 6390, required: false, mode: 'tunnel', namespaceModes: {} });
    const strict = parseConfigText(yaml(['redis:', '  required: true', 'services:', '  api:', '    repo: r.git']), FILE);
    expect(strict.redis).toEqual({ deployment: 'redis', port: 6379, required: true, mode: 'tunnel', namespaceModes: {} });
  });

  it('picks the Redis mode per workspace, overridden per namespace', () => {
    const model = parseConfigText(
      yaml(['redis:', '  mode: local', '  namespaces:', '    s2: { mode: tunnel }', 'services:', '  api:', '    repo: r.git']),
      FILE,
    );
    expect(model.redis).toMatchObject({ mode: 'local', namespaceModes: { s2: 'tunnel' } });
    expect(redisModeFor(model.redis, 's1')).toBe('local');
    expect(redisModeFor(model.redis, 's2')).toBe('tunnel');
    const tunnelByDefault = parseConfigText(yaml(['redis:', '  namespaces: { qa: { mode: local } }', 'services:', '  api:', '    repo: r.git']), FILE);
    expect(redisModeFor(tunnelByDefault.redis, 's1')).toBe('tunnel');
    expect(redisModeFor(tunnelByDefault.redis, 'qa')).toBe('local');
    // Contexts and states from before local mode carry no mode: the tunnel.
    expect(redisModeFor({}, 's1')).toBe('tunnel');
  });

  it('understands the compose port forms', () => {
    const model = parseConfigText(yaml(['services:', '  api:', '    repo: r.git', '    ports: [8000, "9000:90", "127.0.0.1:7000:70/udp"]']), FILE);
    expect(model.services[0].ports).toEqual([
      { hostIp: undefined, host: 8000, container: 8000, protocol: 'tcp' },
      { hostIp: undefined, host: 9000, container: 90, protocol: 'tcp' },
      { hostIp: '127.0.0.1', host: 7000, container: 70, protocol: 'udp' },
    ]);
  });
});

describe('live settings, as the planner reads them', () => {
  const liveOf = (lines: string[]) => parseConfigText(yaml(['services:', '  api:', '    repo: r.git', ...lines]), FILE).services[0].live;

  it('has none without live:, and restart false, no rebuild-on and no ignore by default', () => {
    expect(liveOf([])).toBeUndefined();
    expect(liveOf(['    live: { sync: [{ from: app/, to: /app/app/ }] }'])).toEqual({
      sync: [{ from: 'app', to: '/app/app' }],
      restart: false,
      rebuildOn: [],
      ignore: [],
    });
  });

  it('writes each path one way: no trailing "/", "." and "./" as "" (the whole clone), no "//" or "/./"', () => {
    const sync = liveOf([
      '    live:',
      '      sync: [{ from: ., to: /app/ }, { from: ./, to: /srv// }, { from: ./app//static/, to: /app/./static/ }, { from: server.js, to: /app/server.js }]',
      '      restart: true',
      '      rebuild-on: [requirements.txt]',
      '      ignore: ["**/*.pyc"]',
    ]);
    expect(sync).toEqual({
      sync: [
        { from: '', to: '/app' },
        { from: '', to: '/srv' },
        { from: 'app/static', to: '/app/static' },
        { from: 'server.js', to: '/app/server.js' },
      ],
      restart: true,
      rebuildOn: ['requirements.txt'],
      ignore: ['**/*.pyc'],
    });
  });
});

describe('bad input: every problem, with its line and a fix', () => {
  it('reports a YAML syntax error with its line', () => {
    const problems = problemsOf(yaml(['services:', '  api:', '    repo: r.git', '    ports: ["8000:8000"', '  web: {']));
    expect(problems[0]).toMatchObject({ file: FILE, message: expect.stringContaining('YAML syntax error') });
    expect(problems[0].line).toBeGreaterThanOrEqual(4);
  });

  it('suggests the key a typo meant, on the typo’s line', () => {
    const problems = problemsOf(yaml(['services:', '  api:', '    repo: r.git', '    dependson: [web]', '    prots: [80]']));
    expect(problems).toEqual([
      { file: FILE, line: 4, message: 'unknown key "dependson" in services.api', fix: 'did you mean "depends-on"?' },
      { file: FILE, line: 5, message: 'unknown key "prots" in services.api', fix: 'did you mean "ports"?' },
    ]);
  });

  it('rejects a service defined twice', () => {
    const problems = problemsOf(yaml(['services:', '  api:', '    repo: a.git', '  api:', '    repo: b.git']));
    expect(problems).toEqual([expect.objectContaining({ line: 4, message: expect.stringContaining('defined twice') })]);
  });

  it('rejects a worker named like a service', () => {
    const problems = problemsOf(yaml(['services:', '  api:', '    repo: a.git', '    workers:', '      web: {}', '  web:', '    repo: b.git']));
    expect(problems).toEqual([expect.objectContaining({ line: 6, message: '"web" is defined twice (also at worker at line 5)' })]);
  });

  it('reports a worker named like its owner on the worker’s own line, not the owner’s', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  api:',
        '    repo: a.git',
        '    ports: ["8000:8000"]',
        '    workers:',
        '      jobs: {}',
        '      api:',
        '        environment: { A: "1" }',
      ]),
    );
    expect(problems).toEqual([
      {
        file: FILE,
        line: 7,
        message: '"api" is defined twice (also at service at line 2)',
        fix: 'service and worker names share one namespace: rename one of them',
      },
    ]);
  });

  it('refuses an alias bomb with the line where the nesting starts', () => {
    const tenTimes = (alias: string) => `[${Array(10).fill(alias).join(', ')}]`;
    const problems = problemsOf(
      yaml([
        `a: &a ${tenTimes('"lol"')}`,
        `b: &b ${tenTimes('*a')}`,
        `c: &c ${tenTimes('*b')}`,
        `d: &d ${tenTimes('*c')}`,
        `e: &e ${tenTimes('*d')}`,
        'services:',
        '  api:',
        '    repo: a.git',
      ]),
    );
    expect(problems).toEqual([
      {
        file: FILE,
        line: 3,
        message: 'YAML aliases (*name) expand to too much data, refused as an alias bomb (yaml: Excessive alias count indicates a resource exhaustion attack)',
        fix: 'write the values out instead of nesting aliases (*name) inside anchored values',
      },
    ]);
  });

  it('reports an alias without its anchor on its line', () => {
    const problems = problemsOf(yaml(['services:', '  api:', '    repo: a.git', '    environment: *common']));
    expect(problems).toEqual([
      {
        file: FILE,
        line: 4,
        message: 'the alias *common has no anchor &common before it',
        fix: 'define "&common" earlier in the file, or write the value out',
      },
    ]);
  });

  it('names an unknown dependency and the service it probably meant', () => {
    const problems = problemsOf(yaml(['services:', '  api:', '    repo: a.git', '    depends-on: [schedulr]', '  scheduler:', '    repo: b.git']));
    expect(problems).toEqual([{ file: FILE, line: 4, message: 'api depends on "schedulr", which is not a service', fix: 'did you mean "scheduler"?' }]);
  });

  it('finds a depends-on cycle and prints it', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    depends-on: [b]',
        '  b:',
        '    repo: b.git',
        '    depends-on: [c]',
        '  c:',
        '    repo: c.git',
        '    depends-on: [a]',
      ]),
    );
    expect(problems).toEqual([expect.objectContaining({ line: 4, message: 'depends-on forms a cycle: a → b → c → a' })]);
  });

  it('rejects two services publishing the same host port, and the Redis port', () => {
    const problems = problemsOf(
      yaml(['services:', '  a:', '    repo: a.git', '    ports: ["8000:8000"]', '  b:', '    repo: b.git', '    ports: ["8000:9000", "6379:6379"]']),
    );
    expect(problems.map((problem) => [problem.line, problem.message])).toEqual([
      [7, 'host port 8000 of b is already published by a'],
      [7, 'host port 6379 of b is already published by Redis (redis.port)'],
    ]);
  });

  it('refuses config paths that leave their folder', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    configs:',
        '      - { source: configs/../../etc/passwd, dest: ok.py }',
        '      - { source: ok.py, dest: /etc/cron.d/x }',
        '      - { source: ok.py, dest: ../sibling/x.py }',
      ]),
    );
    expect(problems.map((problem) => [problem.line, problem.message])).toEqual([
      [5, expect.stringMatching(/^services\.a\.configs\.0\.source: "configs\/\.\.\/\.\.\/etc\/passwd" has a "\.\." part \(it would leave its folder\)/)],
      [6, expect.stringMatching(/^services\.a\.configs\.1\.dest: "\/etc\/cron\.d\/x" is an absolute path/)],
      [7, expect.stringMatching(/^services\.a\.configs\.2\.dest: "\.\.\/sibling\/x\.py" has a "\.\." part/)],
    ]);
  });

  it('refuses a config path or Dockerfile that names a folder instead of a file', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    dockerfile: docker/',
        '    configs:',
        '      - { source: configs/, dest: ok.py }',
        '      - { source: ok.py, dest: ./ }',
      ]),
    );
    expect(problems).toEqual([
      { file: FILE, line: 4, message: 'dockerfile "docker/" of a names a folder, not a file', fix: 'name the file, e.g. a.dev.Dockerfile' },
      { file: FILE, line: 6, message: 'source "configs/" of a names a folder, not a file', fix: 'name the file, e.g. configs/health_secrets.py' },
      { file: FILE, line: 7, message: 'dest "./" of a names a folder, not a file', fix: 'name the file, e.g. app/app/secrets.py' },
    ]);
  });

  it('rejects a default namespace that is not a plain folder name', () => {
    const problems = problemsOf(yaml(['default-namespace: ../s1', 'services:', '  a:', '    repo: a.git']));
    expect(problems).toEqual([expect.objectContaining({ line: 1, message: 'default-namespace "../s1" is not a plain folder name' })]);
  });

  it('reports schema and rule problems together, in line order', () => {
    const problems = problemsOf(
      yaml(['services:', '  a:', '    repo: a.git', '    dependson: [b]', '    ports: ["80:80"]', '  b:', '    repo: b.git', '    ports: ["80:81"]']),
    );
    expect(problems.map((problem) => problem.line)).toEqual([4, 8]);
  });

  it('explains a redis.required that is not a boolean, and suggests it for a typo', () => {
    const problems = problemsOf(yaml(['redis:', '  required: "yes"', '  requird: true', 'services:', '  a:', '    repo: a.git']));
    expect(problems).toEqual([
      expect.objectContaining({ line: 2, message: expect.stringContaining('redis.required'), fix: 'write true or false here' }),
      expect.objectContaining({ line: 3, message: 'unknown key "requird" in redis', fix: 'did you mean "required"?' }),
    ]);
  });

  it('explains a wrong Redis mode, a typo under redis.namespaces and a namespace that is not a folder name, each on its line', () => {
    const problems = problemsOf(
      yaml([
        'redis:',
        '  mode: cluster',
        '  namespaces:',
        '    qa: { mod: local }',
        '    s2: { mode: remote }',
        '    ../x: { mode: local }',
        'services:',
        '  api:',
        '    repo: r.git',
      ]),
    );
    expect(problems.map((problem) => [problem.line, problem.message, problem.fix])).toEqual([
      [2, 'redis.mode: must be one of: tunnel, local', 'write one of: tunnel, local'],
      [4, 'redis.namespaces.qa.mode is missing', 'add "mode:"'],
      [4, 'unknown key "mod" in redis.namespaces.qa', 'did you mean "mode"?'],
      [5, 'redis.namespaces.s2.mode: must be one of: tunnel, local', 'write one of: tunnel, local'],
      // Beside the schema's problems, not hidden by them (issue 20).
      [6, 'redis.namespaces: "../x" is not a plain folder name', 'use the name of a folder under configs/, e.g. s1'],
    ]);
    const folder = problemsOf(yaml(['redis:', '  namespaces:', '    ../x: { mode: local }', 'services:', '  api:', '    repo: r.git']));
    expect(folder).toEqual([
      { file: FILE, line: 3, message: 'redis.namespaces: "../x" is not a plain folder name', fix: 'use the name of a folder under configs/, e.g. s1' },
    ]);
  });

  // issue 15, survivor 4: schema problems on both sides of a rule problem, so only sorting gives line order.
  it('sorts by line when schema problems come before and after a rule problem in the file', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    dependson: [b]',
        '    ports: ["80:80"]',
        '  b:',
        '    repo: b.git',
        '    ports: ["80:81"]',
        '  c:',
        '    repo: c.git',
        '    prots: [90]',
      ]),
    );
    expect(problems.map((problem) => [problem.line, problem.message])).toEqual([
      [4, 'unknown key "dependson" in services.a'],
      [8, 'host port 80 of b is already published by a'],
      [11, 'unknown key "prots" in services.c'],
    ]);
  });

  it('explains a missing repo and a wrong type', () => {
    const problems = problemsOf(yaml(['services:', '  a:', '    branch: main', '    ports: "8000"']));
    expect(problems.map((problem) => [problem.line, problem.message])).toEqual([
      [2, 'services.a.repo is missing'],
      [4, expect.stringContaining('services.a.ports')],
    ]);
  });

  it('reads as one message with every problem, file:line first', () => {
    const error = (() => {
      try {
        parseConfigText(yaml(['services:', '  a:', '    repo: a.git', '    dependson: []']), FILE);
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.describe()).toBe(`1 problem in ${FILE}:\n  ${FILE}:4: unknown key "dependson" in services.a\n    fix: did you mean "depends-on"?`);
  });
});

describe('reading the file', () => {
  it('says a key defined twice, on the second one', () => {
    expect(problemsOf(yaml(['services:', '  a:', '    repo: a.git', '  a:', '    repo: b.git']))).toEqual([
      { file: FILE, line: 4, message: 'a key is defined twice (a duplicate service name?)', fix: 'rename or remove one of the two entries' },
    ]);
  });

  it('tells a missing config.yaml from one it cannot read', () => {
    const problemsLoading = (configPath: string) => {
      try {
        loadConfig(os.tmpdir(), configPath);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      throw new Error('expected the config to be rejected');
    };
    const fix = 'create it; see README.md "config.yaml reference"';
    expect(problemsLoading('no-such-folder/config.yaml')).toEqual([{ file: 'no-such-folder/config.yaml', line: 0, message: 'does not exist', fix }]);
    expect(problemsLoading('.')).toEqual([{ file: '.', line: 0, message: 'cannot be read (EISDIR: illegal operation on a directory, read)', fix }]);
  });
});
