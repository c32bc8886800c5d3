/**
 * scripts/demo.ts' pure parts: its flags, the nx command it runs, and what it prints once the demo
 * runs (from the demo's own config.yaml). demo.e2e.spec.ts runs the whole command.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEMO_ROOT,
  demoDockerfiles,
  describeBaseImages,
  makeSampleRemote,
  nextSteps,
  nxArgs,
  parseDemoArgs,
  sampleRepos,
  updateSampleRemote,
} from '../../../scripts/demo';
import { baseImagesOf } from '../src/docker/base-image';
import { loadConfig } from '../src/config/load';
import { UsageError } from '../src/core/errors';

describe('npm run demo: flags and output', () => {
  it('maps its flags to one nx command, and refuses anything else with the fix', () => {
    expect(nxArgs(parseDemoArgs([]))).toEqual(['run-many', '-t', 'up']);
    expect(nxArgs(parseDemoArgs(['--refresh', '--namespace=s2']))).toEqual(['run-many', '-t', 'up', '--namespace=s2', '--refresh']);
    expect(nxArgs(parseDemoArgs(['--down']))).toEqual(['run', 'stack:stop']);
    expect(() => parseDemoArgs(['--dwon'])).toThrow(UsageError);
    expect(() => parseDemoArgs(['--dwon'])).toThrow('npm run demo: unknown argument "--dwon"');
  });

  it("prints every service's URL, each debugger on its own host port, which Redis, and what to try, from the demo's config.yaml", () => {
    const model = loadConfig(DEMO_ROOT);
    const text = nextSteps(model, 's1');
    expect(text.split('\n').slice(0, 7)).toEqual([
      'The demo runs (namespace s1; Redis: a local redis-server on port 6399, REDIS_HOST=host.docker.internal in the containers):',
      '  demo-api            http://localhost:18081/   debugger: 127.0.0.1:5726',
      '  demo-catalog        http://localhost:18082/   debugger: 127.0.0.1:5727',
      '  demo-orders         http://localhost:18083/   debugger: 127.0.0.1:5728',
      '  demo-orders-worker  a worker of demo-orders (no port)',
      '  demo-orders-mailer  a worker of demo-orders (no port)',
      '  demo-web            http://localhost:18080/   debugger: 127.0.0.1:5729',
    ]);
    expect(text).toContain('code examples/demo/cloned/demo-api       Run and Debug → "Attach to demo-api (local-dev, s1)"');
    for (const tip of [
      '--refresh',
      '--down',
      'stack:status',
      'redis-tunnel:status',
      ':logs',
      'only demo-catalog is rebuilt',
      'curl -X POST http://localhost:18083/orders',
    ])
      expect(text).toContain(tip);
  });

  it("makes sure of the one base image the sample's Dockerfiles start FROM, and says so only when it had to get it", () => {
    expect([...new Set(demoDockerfiles().flatMap(baseImagesOf))]).toEqual(['debian:bookworm-slim']);
    expect(describeBaseImages([{ image: 'debian:bookworm-slim', how: 'present', seconds: 0.01 }])).toEqual([]);
    expect(describeBaseImages([{ image: 'debian:bookworm-slim', how: 'made', seconds: 61.4 }])).toEqual([
      "base image debian:bookworm-slim: made from Debian's packages in 61 s (once per machine)",
    ]);
    expect(describeBaseImages([{ image: 'debian:bookworm-slim', how: 'pulled', seconds: 9.6 }])).toEqual([
      'base image debian:bookworm-slim: pulled in 10 s (once per machine)',
    ]);
  });

  it('makes one sample repo per service that owns a repo', () => {
    const model = loadConfig(DEMO_ROOT);
    expect(sampleRepos()).toEqual(model.repos.map((repo) => path.basename(repo.url, '.git')).sort());
  });

  describe('a sample remote made by an earlier version of the demo (real git)', () => {
    let root: string;
    let sample: string;
    let bare: string;
    const git = (...args: string[]) => spawnSync('git', args, { encoding: 'utf8' }).stdout.trim();
    beforeEach(async () => {
      root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-demo-remote-'));
      sample = path.join(root, 'repos', 'demo-api');
      bare = path.join(root, 'remotes', 'demo-api.git');
      mkdirSync(sample, { recursive: true });
      writeFileSync(path.join(sample, 'start.sh'), 'httpd\n');
      await makeSampleRemote(bare, sample, 'demo-api');
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it("gets one more commit on main with this version's files (history kept), once", async () => {
      const first = git('--git-dir', bare, 'rev-parse', 'main');
      rmSync(path.join(sample, 'start.sh'));
      writeFileSync(path.join(sample, 'manage.py'), 'print("django")\n');
      const lines: string[] = [];
      expect(await updateSampleRemote(bare, sample, 'demo-api', (line) => lines.push(line))).toBe(true);
      expect(lines).toEqual(["updated examples/demo/remotes/demo-api.git to this version of the demo's sample (one more commit on main)"]);
      expect(git('--git-dir', bare, 'ls-tree', '--name-only', 'main')).toBe('manage.py');
      expect(git('--git-dir', bare, 'rev-parse', 'main^')).toBe(first);
      expect(await updateSampleRemote(bare, sample, 'demo-api', (line) => lines.push(line))).toBe(false);
      expect(lines).toHaveLength(1);
    });

    it('is left as it is when it holds a commit of yours', async () => {
      const work = path.join(root, 'work');
      spawnSync('git', ['clone', '-q', bare, work]);
      writeFileSync(path.join(work, 'mine.txt'), 'mine\n');
      spawnSync('git', ['-C', work, 'add', '-A']);
      spawnSync('git', ['-C', work, '-c', 'user.email=me@example.com', '-c', 'user.name=me', 'commit', '-q', '-m', 'mine']);
      spawnSync('git', ['-C', work, 'push', '-q', 'origin', 'main']);
      const yours = git('--git-dir', bare, 'rev-parse', 'main');
      writeFileSync(path.join(sample, 'manage.py'), 'print("django")\n');
      const lines: string[] = [];
      expect(await updateSampleRemote(bare, sample, 'demo-api', (line) => lines.push(line))).toBe(false);
      expect(lines).toEqual([
        "examples/demo/remotes/demo-api.git holds commits of yours: left as it is (this version's sample is examples/demo/repos/demo-api/)",
      ]);
      expect(git('--git-dir', bare, 'rev-parse', 'main')).toBe(yours);
    });
  });
});
