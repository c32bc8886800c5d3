import { UsageError } from '../core/errors';
import { classifyWords, commandsFor, isDryRun, usage } from './words';

const namespacesOf = (source: 'workspace' | 'demo') => (source === 'demo' ? ['s1', 's2'] : ['qa', 's1', 's2']);
const plan = (...goals: string[]) => commandsFor(classifyWords(goals, namespacesOf)).map((command) => command.join(' '));
const refusal = (...goals: string[]) => {
  try {
    classifyWords(goals, namespacesOf);
  } catch (error) {
    if (error instanceof UsageError) return error.describe();
    throw error;
  }
  throw new Error(`make ${goals.join(' ')} was not refused`);
};

describe('make words', () => {
  it('sorts words into flags, one namespace and services in the order typed, each once', () => {
    expect(classifyWords(['run', 'web', 'live', 's2', 'api', 'web', 'live', 's2'], namespacesOf)).toEqual({
      command: 'run',
      flags: ['live'],
      namespace: 's2',
      services: ['web', 'api'],
    });
    expect(plan()).toEqual(['npx nx run-many -t up']);
    expect(plan('run', 'dashboard', 'refresh', 'qa')).toEqual(['npx nx run stack:dashboard --namespace=qa', 'npx nx run-many -t up --namespace=qa --refresh']);
    expect(plan('stop', 'a', 'b')).toEqual(['npx nx run-many -t down --projects=a,b']);
    expect(plan('demo', 's2', 'down')).toEqual(['npm run demo -- --down --namespace=s2']);
  });

  it('make dev starts the dev target of the named services (all without one) in the namespace, streamed', () => {
    expect(plan('dev')).toEqual(['npx nx run-many -t dev --outputStyle=stream']);
    expect(plan('dev', 'demo-api', 's2', 'demo-orders')).toEqual([
      'npx nx run-many -t dev --projects=demo-api,demo-orders --namespace=s2 --outputStyle=stream',
    ]);
    expect(usage('dev')).toBe('make dev [<namespace>] [<service> …]');
    expect(refusal('dev', 'refresh')).toBe(
      '"refresh" means nothing to dev; nothing was run\n  fix: make dev [<namespace>] [<service> …] (namespaces: qa, s1, s2)',
    );
  });

  it('refuses an unknown command, a word the command does not take, and a second namespace', () => {
    expect(refusal('stauts')).toMatch(
      /^unknown command "stauts"; nothing was run\n {2}fix: did you mean `make stats`\? the command comes first, then its words:\n {2}make run /,
    );
    expect(refusal('status', 'watch')).toBe(
      '"watch" means nothing to status; nothing was run\n  fix: make status [<namespace>] [<service> …] (namespaces: qa, s1, s2)',
    );
    expect(refusal('stats', 's1')).toBe('"s1" is a namespace, and stats does not take one; nothing was run\n  fix: make stats [watch] [<service> …]');
    expect(refusal('clean', 'x')).toBe('"x" is not a word it takes; nothing was run\n  fix: make clean [force]');
    expect(refusal('dashboard', 'x')).toBe('"x" is not a namespace; nothing was run\n  fix: make dashboard [<namespace>] (namespaces: qa, s1, s2)');
    expect(refusal('demo', 'qa')).toContain('"qa" is not a namespace');
    expect(refusal('doctor', 's1', 'qa')).toContain('two namespaces, "s1" and "qa"');
  });

  it('reads make -n, -q and -t from the one-letter word of MAKEFLAGS, never from a long option', () => {
    expect(isDryRun('nrR')).toBe(true);
    expect(isDryRun('knrR --no-print-directory')).toBe(true);
    expect(isDryRun('rRs -j2 --jobserver-auth=3,4')).toBe(false);
    expect(isDryRun('--no-print-directory')).toBe(false);
    expect(isDryRun(' -- NAME=n')).toBe(false);
    expect(isDryRun(undefined)).toBe(false);
    expect(isDryRun('rRt')).toBe(true);
  });

  it('prints each command with its words', () => {
    expect(usage('run')).toBe('make run [refresh] [live] [dashboard] [<namespace>] [<service> …]');
    expect(usage('logs')).toBe('make logs [<service> …]');
  });
});
