/**
 * What config.yaml's problems say, place by place: the line, the message and the fix a user reads
 * for a YAML syntax error, an unknown key at every level (with "did you mean" or the keys that are
 * known there), a wrong type, a value that should be plain, a reserved name. load.spec.ts covers
 * loading and the catalog; these pin the words.
 */
import { problemsOf } from '../../testing/config-text';

/** [line, message, fix] of each problem, for one-line expectations. */
const said = (text: string) => problemsOf(text).map((problem) => [problem.line, problem.message, problem.fix]);

const API = 'services:\n  api:\n    repo: a.git\n';

describe('YAML syntax errors', () => {
  it('give yaml’s one-line message on the line it points at, and the usual fix', () => {
    const fix = 'check indentation (spaces, not tabs) and quoting on this line';
    expect(said('a: b: c\n')).toEqual([[1, 'YAML syntax error: Nested mappings are not allowed in compact mappings', fix]]);
    expect(said('services:\n\t- x\n')).toEqual([[2, 'YAML syntax error: Tabs are not allowed as indentation', fix]]);
  });

  it('name the line where an alias bomb starts: the first alias to something with aliases in it, not an earlier plain one', () => {
    const rows = ['s: &s x', 't: *s', 'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]'];
    let previous = 'a';
    for (const name of ['b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      rows.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
      previous = name;
    }
    expect(problemsOf(`${rows.join('\n')}\n`).map((problem) => problem.line)).toEqual([5]);
  });
});

describe('unknown keys: the known keys of that very place, or the one meant', () => {
  it('at the top, under redis and under a namespace of redis.namespaces', () => {
    expect(said(`redis:\n  zzzzzz: 1\n${API}`)).toEqual([
      [2, 'unknown key "zzzzzz" in redis', 'known keys here: mode, namespaces, deployment, port, required'],
    ]);
    expect(said(`redis:\n  namespaces:\n    s1:\n      mode: local\n      mdoe: local\n${API}`)).toEqual([
      [5, 'unknown key "mdoe" in redis.namespaces.s1', 'did you mean "mode"?'],
    ]);
    expect(said(`redis:\n  namespaces:\n    s1:\n      mode: local\n      zzzzzz: 1\n${API}`)).toEqual([
      [5, 'unknown key "zzzzzz" in redis.namespaces.s1', 'known keys here: mode'],
    ]);
  });

  it('in a service, a worker, a healthcheck (a worker’s too) and a configs entry', () => {
    expect(said(`${API}    zzzzzz: 1\n`)).toEqual([
      [
        4,
        'unknown key "zzzzzz" in services.api',
        'known keys here: repo, branch, dir, always-refresh, dockerfile, ports, debug-port, environment, build-args, build-secrets, healthcheck, depends-on, live, configs, workers',
      ],
    ]);
    expect(said(`${API}    workers:\n      w:\n        zzzzzz: 1\n`)).toEqual([
      [
        6,
        'unknown key "zzzzzz" in services.api.workers.w',
        'known keys here: dockerfile, ports, debug-port, environment, build-args, build-secrets, healthcheck, depends-on, live',
      ],
    ]);
    expect(said(`${API}    healthcheck:\n      tcp: 80\n      zzzzzz: 1\n`)).toEqual([
      [6, 'unknown key "zzzzzz" in services.api.healthcheck', 'known keys here: http, tcp, port, timeout'],
    ]);
    expect(said(`${API}    workers:\n      w:\n        healthcheck: { tcp: 80, tiemout: 5 }\n`)).toEqual([
      [6, 'unknown key "tiemout" in services.api.workers.w.healthcheck', 'did you mean "timeout"?'],
    ]);
    expect(said(`${API}    configs:\n      - { source: a.env, dest: .env, zzzzzz: 1 }\n`)).toEqual([
      [5, 'unknown key "zzzzzz" in services.api.configs.0', 'known keys here: source, dest, required'],
    ]);
  });

  it('in live and in a live.sync entry, a service’s and a worker’s (even a worker named "live")', () => {
    const LIVE = `${API}    live:\n      sync: [{ from: app/, to: /app/app }]\n`;
    expect(said(`${LIVE}      restrat: true\n`)).toEqual([[6, 'unknown key "restrat" in services.api.live', 'did you mean "restart"?']]);
    expect(said(`${LIVE}      rebuild_on: [go.mod]\n`)).toEqual([[6, 'unknown key "rebuild_on" in services.api.live', 'did you mean "rebuild-on"?']]);
    expect(said(`${LIVE}      zzzzzz: 1\n`)).toEqual([[6, 'unknown key "zzzzzz" in services.api.live', 'known keys here: sync, restart, rebuild-on, ignore']]);
    expect(said(`${API}    live:\n      sync:\n        - { from: app/, to: /app }\n        - { form: lib/, to: /lib }\n`)).toEqual([
      [7, 'services.api.live.sync.1.from is missing', 'add "from:"'],
      [7, 'unknown key "form" in services.api.live.sync.1', 'did you mean "from"?'],
    ]);
    expect(said(`${API}    live:\n      sync: [{ from: app/, to: /app, zzzzzz: 1 }]\n`)).toEqual([
      [5, 'unknown key "zzzzzz" in services.api.live.sync.0', 'known keys here: from, to'],
    ]);
    expect(said(`${API}    workers:\n      live:\n        live: { sync: [{ from: ., to: /src }], restat: true }\n`)).toEqual([
      [6, 'unknown key "restat" in services.api.workers.live.live', 'did you mean "restart"?'],
    ]);
    expect(said(`${API}    workers:\n      w:\n        live:\n          sync: [{ from: ., tp: /src }]\n`)).toEqual([
      [7, 'services.api.workers.w.live.sync.0.to is missing', 'add "to:"'],
      [7, 'unknown key "tp" in services.api.workers.w.live.sync.0', 'did you mean "to"?'],
    ]);
  });
});

describe('wrong types: what to write instead, in words', () => {
  it('for the whole file, a list, a mapping, a text, a number and a boolean', () => {
    const mapping = 'write a mapping: "key: value" lines indented below this one here';
    expect(said('- a\n- b\n')).toEqual([[1, 'the file: Invalid input: expected object, received array', mapping]]);
    expect(said(`${API}    ports: "8000:8000"\n`)).toEqual([
      [4, 'services.api.ports: Invalid input: expected array, received string', 'write a list, e.g. ["8000:8000"] or one "- item" per line here'],
    ]);
    // On the line where the list starts, below its key.
    expect(said(`${API}    environment:\n      - A=1\n`)).toEqual([[5, 'services.api.environment: Invalid input: expected record, received array', mapping]]);
    expect(said('services:\n  api:\n    repo: 5\n')).toEqual([
      [3, 'services.api.repo: Invalid input: expected string, received number', 'write a text value here'],
    ]);
    expect(said(`${API}    healthcheck: { tcp: "x" }\n`)).toEqual([
      [4, 'services.api.healthcheck.tcp: Invalid input: expected number, received string', 'write a number here'],
    ]);
    expect(said(`redis:\n  required: "yes"\n${API}`)).toEqual([
      [2, 'redis.required: Invalid input: expected boolean, received string', 'write true or false here'],
    ]);
  });

  it('for an environment or build-args value that is not plain (a worker’s too), and for a port that is a list', () => {
    expect(said(`${API}    environment: { A: [1], B: ~ }\n`)).toEqual([
      [4, 'services.api.environment.A: must be a string, number or boolean, not a list', "quote it to pass it as text: A: '...'"],
      [4, 'services.api.environment.B: must be a string, number or boolean, not empty', 'give it a value, or write B: "" for an empty one'],
    ]);
    expect(said(`${API}    workers:\n      w:\n        environment: { A: [1] }\n`)).toEqual([
      [6, 'services.api.workers.w.environment.A: must be a string, number or boolean, not a list', "quote it to pass it as text: A: '...'"],
    ]);
    expect(said(`${API}    build-args: { A: { x: 1 } }\n`)).toEqual([
      [4, 'services.api.build-args.A: must be a string, number or boolean, not a mapping', "quote it to pass it as text: A: '...'"],
    ]);
    expect(said(`${API}    ports: [[1]]\n`)).toEqual([
      [
        4,
        'services.api.ports.0: must be a port mapping such as "8000:8000", not a list',
        'write it like "8000:8000" (host:container, published on 127.0.0.1 only), "8000", "0.0.0.0:8000:8000" (host address first; 0.0.0.0: every interface, other machines too) or "8000:8000/udp"',
      ],
    ]);
  });
});

describe('reserved names', () => {
  it('refuses each name local-dev’s own projects use, listing them all', () => {
    const fix = 'rename the service (reserved: redis-tunnel, docker-compose, stack)';
    expect(said('services:\n  stack:\n    repo: a.git\n  docker-compose:\n    repo: b.git\n  redis-tunnel:\n    repo: c.git\n')).toEqual([
      [2, '"stack" is reserved for local-dev\'s own project', fix],
      [4, '"docker-compose" is reserved for local-dev\'s own project', fix],
      [6, '"redis-tunnel" is reserved for local-dev\'s own project', fix],
    ]);
  });
});
