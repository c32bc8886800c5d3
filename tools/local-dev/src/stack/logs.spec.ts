import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { UsageError } from '../core/errors';
import { LABELS, workspaceId } from '../core/naming';
import { containersToShow, logsArgs, mergeByTime, prefixes, showLogs, timedLines, wantsColour } from './logs';
import { sortableTime } from './logs-follow';

describe('logs', () => {
  it('builds docker logs arguments', () => {
    expect(logsArgs('abc', { follow: false, tail: 50, since: undefined, timestamps: false })).toEqual(['logs', '--tail', '50', 'abc']);
    expect(logsArgs('abc', { follow: true, tail: 0, since: '10m', timestamps: true })).toEqual([
      'logs',
      '--follow',
      '--timestamps',
      '--tail',
      '0',
      '--since',
      '10m',
      'abc',
    ]);
  });

  it('pads prefixes to the longest name; colours only when asked', () => {
    expect([...prefixes(['a', 'long-name'], false).values()]).toEqual(['a         | ', 'long-name | ']);
    expect(prefixes(['a', 'b'], true).get('b')).toBe('\u001b[33mb | \u001b[0m');
  });

  it("merges several services' lines by their timestamps", () => {
    const lines = mergeByTime([
      ...timedLines('a', 'stdout', '2026-11-29T10:00:01.000000000Z first of a\n2026-11-29T10:00:03.000000000Z second of a\n'),
      ...timedLines('b', 'stderr', '2026-11-29T10:00:02.000000000Z first of b\n'),
    ]);
    expect(lines.map((line) => `${line.service}/${line.stream}: ${line.text}`)).toEqual([
      'a/stdout: first of a',
      'b/stderr: first of b',
      'a/stdout: second of a',
    ]);
  });

  it('orders times whose fractions an engine printed without trailing zeros', () => {
    const lines = mergeByTime([
      ...timedLines('a', 'stdout', '2026-11-29T10:00:02.1Z later\n2026-11-29T10:00:02Z earliest\n'),
      ...timedLines('b', 'stdout', '2026-11-29T10:00:02.12Z latest\n2026-11-29T10:00:02.05Z early\n'),
    ]);
    expect(lines.map((line) => line.text)).toEqual(['earliest', 'early', 'later', 'latest']);
    expect(sortableTime('2026-11-29T10:00:02.1+01:00')).toBe('2026-11-29T10:00:02.100000000+01:00');
  });

  it('shows a running container first; refuses when no service has one', () => {
    const containers = [
      { id: 'old', service: 'a', state: 'exited', name: 'x' },
      { id: 'new', service: 'a', state: 'running', name: 'y' },
    ];
    expect(containersToShow(['a', 'b'], containers)).toEqual({ shown: new Map([['a', 'new']]), missing: ['b'] });
    expect(() => containersToShow(['b'], containers)).toThrow(new UsageError('b has no container: there are no logs to show'));
  });

  it('colours a terminal, or when FORCE_COLOR asks; never with NO_COLOR', () => {
    expect(wantsColour({}, true)).toBe(true);
    expect(wantsColour({}, false)).toBe(false);
    expect(wantsColour({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(wantsColour({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(wantsColour({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
  });
});

/**
 * showLogs on real containers (busybox, labelled as a throw-away workspace's services), into
 * writable streams standing in for the terminal.
 */
describe('showLogs on real containers', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-logs-'));
  });
  afterEach(() => {
    const ids = docker(['ps', '-aq', '--filter', `label=${LABELS.workspace}=${workspaceId(root)}`])
      .split('\n')
      .filter(Boolean);
    if (ids.length > 0) docker(['rm', '-f', ...ids]);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function docker(args: string[]): string {
    const result = spawnSync('docker', args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout.trim();
  }

  /** Starts a container of service `service` running `script` (sh -c). */
  function container(service: string, script: string, options: string[] = []): string {
    return docker([
      'run',
      '-d',
      '--label',
      `${LABELS.workspace}=${workspaceId(root)}`,
      '--label',
      `${LABELS.service}=${service}`,
      ...options,
      'busybox:1.36',
      'sh',
      '-c',
      script,
    ]);
  }

  /** A terminal that takes everything: counts bytes and lines, keeps the lines that do not match `bulk`. */
  class Terminal extends Writable {
    bytes = 0;
    lines = 0;
    kept: string[] = [];
    private rest = '';
    /** Writes held back (their callbacks not called) while `stuck`: a reader that stopped reading. */
    private held: Array<() => void> = [];
    constructor(
      private readonly bulk: RegExp = /^$/,
      public stuck = false,
    ) {
      super({ highWaterMark: 16 * 1024 });
    }
    override _write(chunk: Buffer, _encoding: string, done: () => void): void {
      this.bytes += chunk.length;
      const parts = (this.rest + chunk.toString()).split('\n');
      this.rest = parts.pop()!;
      this.lines += parts.length;
      this.kept.push(...parts.filter((part) => !this.bulk.test(part)));
      if (this.stuck) this.held.push(done);
      else done();
    }
    readOn(): void {
      this.stuck = false;
      this.held.splice(0).forEach((done) => done());
    }
  }

  const request = (services: string[], stdout: Writable, stderr: Writable, tail = 1000) => ({
    workspaceRoot: root,
    services,
    follow: true,
    tail,
    since: undefined,
    colour: false,
    output: { stdout, stderr },
  });
  const waitFor = async (condition: () => boolean, what: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  // 1,100,000 lines of 100 bytes: 110 MB, more than the 100 MB execa kept of a follow before it ended it.
  const BULK_LINES = 1_100_000;
  const BULK = `yes ${'x'.repeat(99)} | head -n ${BULK_LINES}`;

  it('follows more than 100 MB of several services, every line once, and keeps following', async () => {
    // The bulk container keeps running after its last line, as a service does: a container that
    // exits while a follower lags behind makes the engine (20.10) end the follow early.
    const bulk = container('bulk', `echo start; ${BULK}; echo end; exec sleep 600`);
    container('quiet', 'echo quiet-1; echo quiet-2 >&2');
    const stdout = new Terminal(/^bulk  \| x{99}$/);
    const stderr = new Terminal();
    const following = showLogs(request(['bulk', 'quiet'], stdout, stderr, 2 * BULK_LINES));
    let failure: unknown;
    following.catch((error: unknown) => (failure = error));
    await waitFor(() => failure !== undefined || stdout.kept.includes('bulk  | end'), 'the last line of the bulk service', 240_000);
    if (failure) throw failure;
    docker(['kill', bulk]);
    await following;
    expect(stdout.lines).toBe(BULK_LINES + 3);
    expect(stdout.bytes).toBe(BULK_LINES * 108 + 3 * 9 + 'start'.length + 'end'.length + 'quiet-1'.length);
    expect(stdout.kept).toEqual(expect.arrayContaining(['bulk  | start', 'bulk  | end', 'quiet | quiet-1']));
    expect(stdout.kept.indexOf('bulk  | start')).toBeLessThan(stdout.kept.indexOf('bulk  | end'));
    expect(stderr.kept).toEqual(['quiet | quiet-2']);
  }, 300_000);

  it.each([
    ['one service (piped through)', ['bulk']],
    ['several services (merged)', ['bulk', 'other']],
  ])(
    '%s: a reader that stops reading pauses docker logs; nothing piles up in memory, and nothing is lost',
    async (_, services) => {
      // 20 MB, written before the follow starts reading.
      const id = container('bulk', `yes ${'y'.repeat(99)} | head -n 200000`);
      if (services.length > 1) container('other', 'echo other');
      docker(['wait', id]);
      const stdout = new Terminal(/y{99}$/, true);
      const stderr = new Terminal();
      const following = showLogs(request(services, stdout, stderr, 1_000_000));
      await waitFor(() => stdout.bytes > 0, 'the first output');
      // Long enough for docker logs to push everything into us if nothing held it back.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // What the follower handed over: what the terminal took, and what waits in its stream's buffer.
      const handedOverWhileStuck = stdout.bytes + stdout.writableLength;
      expect(handedOverWhileStuck).toBeLessThan(2 * 1024 * 1024);
      stdout.readOn();
      await following;
      expect(stdout.lines).toBe(200_000 + services.length - 1);
    },
    120_000,
  );

  it('prints lines while the containers still run, interleaved in the order they happened (stderr too)', async () => {
    // Both containers wait for one file, so their clocks start together however slowly docker run answers.
    const go = mkdtempSync(path.join(root, 'go-'));
    const start = 'while [ ! -e /go/now ]; do sleep 0.05; done; ';
    const mount = ['-v', `${go}:/go`];
    container('early', `${start}echo e1; sleep 0.6; echo e2 >&2; sleep 0.6; echo e3`, mount);
    container('late', `${start}sleep 0.3; echo l1 >&2; sleep 0.6; echo l2; sleep 3; echo l3`, mount);
    const both = new Terminal();
    const following = showLogs({ ...request(['early', 'late'], both, both), output: { stdout: both, stderr: both } });
    writeFileSync(path.join(go, 'now'), '');
    await waitFor(() => both.kept.includes('late  | l2'), 'l2, while the container still runs', 10_000);
    expect(both.kept).toEqual(['early | e1', 'late  | l1', 'early | e2', 'late  | l2']);
    await following;
    expect(both.kept).toEqual(['early | e1', 'late  | l1', 'early | e2', 'late  | l2', 'early | e3', 'late  | l3']);
  }, 60_000);

  it('--follow starts with the past lines of every service in the order they happened, as without it', async () => {
    const go = mkdtempSync(path.join(root, 'go-'));
    const start = 'while [ ! -e /go/now ]; do sleep 0.05; done; ';
    const mount = ['-v', `${go}:/go`];
    const ids = [
      container('first', `${start}echo f1; sleep 0.4; echo f2 >&2; sleep 0.4; echo f3`, mount),
      container('second', `${start}sleep 0.2; echo s1; sleep 0.4; echo s2; sleep 0.4; echo s3 >&2`, mount),
    ];
    writeFileSync(path.join(go, 'now'), '');
    for (const id of ids) docker(['wait', id]);
    const both = new Terminal();
    await showLogs({ ...request(['first', 'second'], both, both), output: { stdout: both, stderr: both } });
    expect(both.kept).toEqual(['first  | f1', 'second | s1', 'first  | f2', 'second | s2', 'first  | f3', 'second | s3']);
  }, 60_000);

  it('without --follow, the last --tail lines of several services, in time order, stdout and stderr apart', async () => {
    const go = mkdtempSync(path.join(root, 'go-'));
    const start = 'while [ ! -e /go/now ]; do sleep 0.05; done; ';
    const mount = ['-v', `${go}:/go`];
    const ids = [
      container('api', `${start}echo a0; echo a1; sleep 0.4; echo a2 >&2`, mount),
      container('db', `${start}sleep 0.2; echo d1; sleep 0.4; echo d2`, mount),
    ];
    writeFileSync(path.join(go, 'now'), '');
    for (const id of ids) docker(['wait', id]);
    const stdout = new Terminal();
    const stderr = new Terminal();
    await showLogs({ ...request(['api', 'db'], stdout, stderr, 2), follow: false });
    expect([stdout.kept, stderr.kept]).toEqual([['api | a1', 'db  | d1', 'db  | d2'], ['api | a2']]);
  }, 60_000);

  it('one service is printed as docker logs prints it, stdout and stderr apart, without a prefix', async () => {
    container('solo', 'echo out-1; echo err-1 >&2; echo out-2');
    const stdout = new Terminal();
    const stderr = new Terminal();
    await showLogs(request(['solo'], stdout, stderr));
    expect([stdout.kept, stderr.kept]).toEqual([['out-1', 'out-2'], ['err-1']]);
  }, 60_000);
});
