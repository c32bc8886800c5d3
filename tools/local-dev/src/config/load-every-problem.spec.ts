/**
 * One problem in config.yaml must not hide another (issue 20): where the schema refuses a value, the
 * cross-field rules (cycles, clashing ports, clone folders…) still check the rest of the file, and
 * every problem comes back in one list, sorted by line. What was refused is left out of the rules'
 * view, so they never report a consequence of leaving it out.
 */
import { CONFIG_FILE as FILE, problemsOf, yaml } from '../../testing/config-text';

const lines = (text: string) => problemsOf(text).map((problem) => `${problem.line}: ${problem.message}`);

describe('every problem that can still be checked is reported, whatever the schema refused', () => {
  it('a dest with ".." and a depends-on cycle through the same service: both, by line (and the other entries of configs still checked)', () => {
    const text = yaml([
      'services:',
      '  api:',
      '    repo: api.git',
      '    depends-on: [worker]',
      '    configs:',
      '      - { source: configs/api.env, dest: ../outside.env }',
      '      - { source: configs/, dest: .git/hooks/post-checkout }',
      '  worker:',
      '    repo: worker.git',
      '    depends-on: [api]',
    ]);
    const problems = problemsOf(text);
    expect(problems.map((problem) => [problem.line, problem.message])).toEqual([
      [4, 'depends-on forms a cycle: api → worker → api'],
      [6, expect.stringMatching(/^services\.api\.configs\.0\.dest: "\.\.\/outside\.env" has a "\.\." part/)],
      [7, expect.stringMatching(/^services\.api\.configs\.1\.dest: "\.git\/hooks\/post-checkout" points into a \.git folder/)],
      [7, 'source "configs/" of api names a folder, not a file'],
    ]);
    expect(problems.every((problem) => problem.file === FILE && problem.fix !== undefined)).toBe(true);
  });

  it('a refused port leaves the others checked at their own lines, and no "publishes no port" for the service that had it', () => {
    const text = yaml([
      'services:',
      '  a:',
      '    repo: a.git',
      '    ports:',
      '      - "70000:80"',
      '      - "8000:80"',
      '    healthcheck: { http: /health }',
      '  b:',
      '    repo: b.git',
      '    ports: ["99999:90"]',
      '    healthcheck: { http: /health }',
      '  c:',
      '    repo: c.git',
      '    ports: ["8000:81"]',
      '    depends-on:',
      '      - 5',
      '      - nothere',
    ]);
    expect(lines(text)).toEqual([
      '5: services.a.ports.0: host port 70000 in "70000:80" is out of range',
      '10: services.b.ports.0: host port 99999 in "99999:90" is out of range',
      '14: host port 8000 of c is already published by a',
      '16: services.c.depends-on.0: Invalid input: expected string, received number',
      '17: c depends on "nothere", which is not a service',
    ]);
  });

  it('a refused repo: the rest of its service is still checked (a cycle), and no clone folder is guessed from it', () => {
    const text = yaml([
      'services:',
      '  a:',
      '    repo: "-upload-pack=evil"',
      '    depends-on: [b]',
      '  b:',
      '    repo: b.git',
      '    depends-on: [a]',
      '  c:',
      '    depends-on: [d]',
      '  d:',
      '    repo: d.git',
      '    depends-on: [c]',
    ]);
    expect(lines(text)).toEqual([
      '3: services.a.repo: "-upload-pack=evil" starts with "-" (git would read it as an option); allowed: a git URL (https://, ssh://, git@host:path, file://) or a local path; not starting with "-", no "<helper>::" remote helpers, no control characters',
      '4: depends-on forms a cycle: a → b → a',
      '8: services.c.repo is missing',
      '9: depends-on forms a cycle: c → d → c',
    ]);
  });

  it('a service or worker that is not a mapping at all: its name is still one others may depend on, and the other rules run', () => {
    const text = yaml([
      'services:',
      '  broken: 5',
      '  api:',
      '    repo: api.git',
      '    depends-on: [broken, half, ghost]',
      '    workers:',
      '      half: [1]',
      '  other:',
      '    repo: other.git',
      '    ports: ["6379:6379"]',
    ]);
    expect(lines(text)).toEqual([
      '2: services.broken: Invalid input: expected object, received number',
      '5: api depends on "ghost", which is not a service',
      '7: services.api.workers.half: Invalid input: expected object, received array',
      '10: host port 6379 of other is already published by Redis (redis.port)',
    ]);
  });

  it('no problem is made up from a refused value: a healthcheck path, a clone folder, redis.port', () => {
    const text = yaml([
      'redis: { port: 0 }',
      'services:',
      '  a:',
      '    repo: git@x:o/app.git',
      '    dir: ../app',
      '    ports: ["6379:6379"]',
      '    healthcheck: { http: health }',
      '  b:',
      '    repo: git@x:o/app.git',
      '  c:',
      '    repo: c.git',
      '    healthcheck: { http: /health, port: 0 }',
    ]);
    expect(lines(text)).toEqual([
      '1: redis.port: must be a port from 1 to 65535',
      expect.stringMatching(/^5: services\.a\.dir: "\.\.\/app" /),
      '7: services.a.healthcheck.http: must be a path starting with "/", e.g. /health',
      '12: services.c.healthcheck.port: must be a port from 1 to 65535',
    ]);
  });

  it('without services at all, the rules on the rest still run', () => {
    expect(lines(yaml(['default-namespace: ../s1', 'redis:', '  namespaces:', '    "s 2": { mode: far }']))).toEqual([
      '1: services is missing',
      '1: default-namespace "../s1" is not a plain folder name',
      '4: redis.namespaces.s 2.mode: must be one of: tunnel, local',
      '4: redis.namespaces: "s 2" is not a plain folder name',
    ]);
  });
});
