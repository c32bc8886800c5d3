/**
 * scripts/demo.ts' pure parts: its flags, the nx command it runs, and what it prints once the demo
 * runs (from the demo's own config.yaml). demo.e2e.spec.ts runs the whole command.
 */
import * as path from 'node:path';
import { DEMO_ROOT, nextSteps, nxArgs, parseDemoArgs, sampleRepos } from '../../../scripts/demo';
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

  it('prints every service\'s URL, the debugger, which Redis, and what to try, from the demo\'s config.yaml', () => {
    const model = loadConfig(DEMO_ROOT);
    const text = nextSteps(model, 's1');
    expect(text.split('\n').slice(0, 7)).toEqual([
      'The demo runs (namespace s1; Redis: a local redis-server on port 6399, REDIS_HOST=host.docker.internal in the containers):',
      '  demo-api            http://localhost:18081/   debugger: localhost:5726',
      '  demo-catalog        http://localhost:18082/',
      '  demo-orders         http://localhost:18083/',
      '  demo-orders-worker  a worker of demo-orders (no port)',
      '  demo-orders-mailer  a worker of demo-orders (no port)',
      '  demo-web            http://localhost:18080/',
    ]);
    for (const tip of ['--refresh', '--down', 'stack:status', 'redis-tunnel:status', ':logs', 'only demo-catalog is rebuilt']) expect(text).toContain(tip);
  });

  it('makes one sample repo per service that owns a repo', () => {
    const model = loadConfig(DEMO_ROOT);
    expect(sampleRepos()).toEqual(model.repos.map((repo) => path.basename(repo.url, '.git')).sort());
  });
});
