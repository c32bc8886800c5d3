/** The cross-field rules of rules.ts, through the loader, as a user sees their problems. */
import { CONFIG_FILE as FILE, problemsIn as problemsOf, yaml } from '../../testing/config-text';
import { parseConfigText } from './load';

describe('host ports', () => {
  it('lets one host port carry TCP and UDP (DNS on 5353:53 and 5353:53/udp)', () => {
    const text = yaml(['services:', '  dns:', '    repo: dns.git', '    ports: ["5353:53", "5353:53/udp"]']);
    expect(problemsOf(text)).toEqual([]);
    expect(parseConfigText(text, FILE).services[0].ports.map((port) => `${port.host}/${port.protocol}`)).toEqual(['5353/tcp', '5353/udp']);
  });

  it('refuses the same host port and protocol twice, across services', () => {
    const problems = problemsOf(
      yaml(['services:', '  dns:', '    repo: dns.git', '    ports: ["5353:53/udp"]', '  other:', '    repo: other.git', '    ports: ["5353:54/udp"]']),
    );
    expect(problems).toEqual([
      { file: FILE, line: 7, message: 'host port 5353 of other is already published by dns', fix: 'publish other on another host port, e.g. "5354:54"' },
    ]);
  });
});

describe('reserved names', () => {
  it('refuses a service named like one of local-dev’s own projects (stack, docker-compose, redis-tunnel)', () => {
    const problems = problemsOf(yaml(['services:', '  stack:', '    repo: stack.git']));
    expect(problems).toEqual([
      {
        file: FILE,
        line: 2,
        message: '"stack" is reserved for local-dev\'s own project',
        fix: 'rename the service (reserved: redis-tunnel, docker-compose, stack)',
      },
    ]);
  });
});

describe('names, dependencies, health checks and clone folders', () => {
  const problem = (line: number, message: string, fix: string) => ({ file: FILE, line, message, fix });

  it('refuses a service name that cannot be a Docker hostname', () => {
    expect(problemsOf(yaml(['services:', '  Bad_Name:', '    repo: a.git']))).toEqual([
      problem(
        2,
        'service name "Bad_Name" is not a valid name',
        'use lower-case letters, digits and dashes (it becomes a Docker hostname and an Nx project name)',
      ),
    ]);
  });

  it('refuses a service that depends on itself, and lists the services when no name is close', () => {
    expect(problemsOf(yaml(['services:', '  a:', '    repo: a.git', '    depends-on: [a, zzzzzz]']))).toEqual([
      problem(4, 'a depends on itself', 'remove "a" from its depends-on'),
      problem(4, 'a depends on "zzzzzz", which is not a service', 'name one of: a'),
    ]);
  });

  it('wants exactly one of http or tcp in a health check, and a port to poll HTTP on', () => {
    const text = yaml([
      'services:',
      '  a:',
      '    repo: a.git',
      '    healthcheck: { http: /health, tcp: 80 }',
      '  b:',
      '    repo: b.git',
      '    healthcheck: { timeout: 3 }',
      '  c:',
      '    repo: c.git',
      '    healthcheck: { http: /health }',
      '  d:',
      '    repo: d.git',
      '    healthcheck: { http: /health, port: 8000 }',
    ]);
    expect(problemsOf(text)).toEqual([
      problem(4, 'healthcheck of a must have exactly one of http or tcp', 'write { http: /health } or { tcp: 8000 }'),
      problem(7, 'healthcheck of b must have exactly one of http or tcp', 'write { http: /health } or { tcp: 8000 }'),
      problem(10, 'healthcheck of c polls HTTP but the service publishes no port', 'add "port: <container port>" to the healthcheck'),
    ]);
  });

  it('refuses two services cloning into one folder: a worker for the same repo, another dir otherwise', () => {
    const text = yaml([
      'services:',
      '  a:',
      '    repo: git@x:o/app.git',
      '  b:',
      '    repo: git@x:o/app.git',
      '  c:',
      '    repo: /other/app',
      '  d:',
      '    repo: d.git',
      '    dir: app',
    ]);
    expect(problemsOf(text)).toEqual([
      problem(5, 'b and a both clone into cloned/app/', "make b a worker of a (workers share their owner's clone)"),
      problem(7, 'c and a both clone into cloned/app/', 'give one of them another "dir:"'),
      problem(10, 'd and a both clone into cloned/app/', 'give one of them another "dir:"'),
    ]);
  });
});

describe('live.sync', () => {
  const problem = (line: number, message: string, fix: string) => ({ file: FILE, line, message, fix });

  it('refuses two entries of one service (a worker’s too) that write to the same container path, however it is spelled', () => {
    const text = yaml([
      'services:',
      '  a:',
      '    repo: a.git',
      '    live:',
      '      sync:',
      '        - { from: app/, to: /app/app/ }',
      '        - { from: lib, to: /app/app }',
      '        - { from: ./app, to: /app/./app }',
      '    workers:',
      '      w:',
      '        live: { sync: [{ from: ., to: /src }, { from: cmd, to: //src/ }] }',
    ]);
    expect(problemsOf(text)).toEqual([
      problem(
        7,
        'live.sync of a syncs both "app/" (line 6) and "lib" to /app/app: one would overwrite the other',
        'give "lib" its own "to", or sync the folder that holds both',
      ),
      problem(8, 'live.sync of a syncs "./app" to /app/app twice (also at line 6)', 'remove one of the two entries'),
      problem(
        11,
        'live.sync of w syncs both "." (line 11) and "cmd" to /src: one would overwrite the other',
        'give "cmd" its own "to", or sync the folder that holds both',
      ),
    ]);
  });

  it('lets a service and its worker sync to the same path (each its own container), nested targets, and one from to two places', () => {
    const text = yaml([
      'services:',
      '  a:',
      '    repo: a.git',
      '    live: { sync: [{ from: ., to: /src }, { from: static, to: /src/static-copy }, { from: static, to: /var/www }] }',
      '    workers:',
      '      w:',
      '        live: { sync: [{ from: ., to: /src }] }',
    ]);
    expect(problemsOf(text.replace('/var/www', '/src'))).toHaveLength(1);
    expect(parseConfigText(text, FILE).services.map((service) => service.live?.sync.length)).toEqual([3, 1]);
  });

  it('says nothing of a from naming an injected config dest (the planner never syncs injected files)', () => {
    const text = yaml([
      'services:',
      '  a:',
      '    repo: a.git',
      '    configs: [{ source: secrets.py, dest: app/secrets.py }]',
      '    live: { sync: [{ from: app/secrets.py, to: /app/app/secrets.py }, { from: app, to: /app/app/pkg }] }',
    ]);
    expect(parseConfigText(text, FILE).services[0].live?.sync).toEqual([
      { from: 'app/secrets.py', to: '/app/app/secrets.py' },
      { from: 'app', to: '/app/app/pkg' },
    ]);
  });

  it('judges nothing about an entry the schema refused (its problem is said once, by the schema)', () => {
    const text = yaml([
      'services:',
      '  a:',
      '    repo: a.git',
      '    live:',
      '      sync:',
      '        - { from: app, to: /app }',
      '        - { from: ../x, to: /app }',
    ]);
    expect(problemsOf(text).map((found) => [found.line, found.message.split(';')[0]])).toEqual([
      [7, 'services.a.live.sync.1.from: "../x" has a ".." part (it would leave its folder)'],
    ]);
  });
});
