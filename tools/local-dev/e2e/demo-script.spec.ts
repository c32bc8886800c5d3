/**
 * scripts/demo.ts' pure parts: its flags, the nx command it runs, and what it prints once the demo
 * runs (from the demo's own config.yaml). demo.e2e.spec.ts runs the whole command.
 */
import * as path from 'node:path';
import { DEMO_ROOT, demoDockerfiles, describeBaseImages, nextSteps, nxArgs, parseDemoArgs, sampleRepos } from '../../../scripts/demo';
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

  it('prints every service\'s URL, each debugger on its own host port, which Redis, and what to try, from the demo\'s config.yaml', () => {
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
    for (const tip of ['--refresh', '--down', 'stack:status', 'redis-tunnel:status', ':logs', 'only demo-catalog is rebuilt', 'curl -X POST http://localhost:18083/orders']) expect(text).toContain(tip);
  });

  it('makes sure of the one base image the sample\'s Dockerfiles start FROM, and says so only when it had to get it', () => {
    expect([...new Set(demoDockerfiles().flatMap(baseImagesOf))]).toEqual(['debian:bookworm-slim']);
    expect(describeBaseImages([{ image: 'debian:bookworm-slim', how: 'present', seconds: 0.01 }])).toEqual([]);
    expect(describeBaseImages([{ image: 'debian:bookworm-slim', how: 'made', seconds: 61.4 }])).toEqual(["base image debian:bookworm-slim: made from Debian's packages in 61 s (once per machine)"]);
    expect(describeBaseImages([{ image: 'debian:bookworm-slim', how: 'pulled', seconds: 9.6 }])).toEqual(['base image debian:bookworm-slim: pulled in 10 s (once per machine)']);
  });

  it('makes one sample repo per service that owns a repo', () => {
    const model = loadConfig(DEMO_ROOT);
    expect(sampleRepos()).toEqual(model.repos.map((repo) => path.basename(repo.url, '.git')).sort());
  });
});
