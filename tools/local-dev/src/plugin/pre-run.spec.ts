import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFIG_PATH } from '../config/paths';
import { checkCommandLine, namespaceFlag } from './pre-run';

const nx = (...words: string[]) => ['/usr/bin/node', '/ws/node_modules/.bin/nx', ...words];

describe('namespaceFlag', () => {
  it('is undefined when the command line has no --namespace', () => {
    expect(namespaceFlag(nx('run-many', '-t', 'up'))).toBeUndefined();
    expect(namespaceFlag(nx('run', 'health-api:up', '--namespaces=s2'))).toBeUndefined();
  });

  it('reads --namespace=x and --namespace x; the last one wins', () => {
    expect(namespaceFlag(nx('run-many', '-t', 'up', '--namespace=s2'))).toBe('s2');
    expect(namespaceFlag(nx('run', 'health-api:up', '--namespace', 'qa', '--refresh'))).toBe('qa');
    expect(namespaceFlag(nx('run-many', '-t', 'up', '--namespace=s2', '--namespace=s3'))).toBe('s3');
  });

  it('is empty when the flag has no value', () => {
    expect(namespaceFlag(nx('run-many', '-t', 'up', '--namespace='))).toBe('');
    expect(namespaceFlag(nx('run-many', '-t', 'up', '--namespace'))).toBe('');
    expect(namespaceFlag(nx('run-many', '-t', 'up', '--namespace', '--refresh'))).toBe('');
  });
});

describe('checkCommandLine', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-pre-run-'));
    for (const namespace of ['s1', 's2']) mkdirSync(path.join(root, 'configs', namespace), { recursive: true });
    writeFileSync(path.join(root, 'configs', 'README.md'), 'shipped, not a namespace');
    mkdirSync(path.join(root, path.dirname(CONFIG_PATH)), { recursive: true });
    writeFileSync(path.join(root, CONFIG_PATH), 'default-namespace: s2\nservices:\n  api:\n    repo: file:///nowhere/api.git\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const failureOf = (argv: string[]): string => {
    try {
      checkCommandLine(root, argv);
    } catch (error) {
      return (error as { describe(): string }).describe();
    }
    throw new Error('expected the command line to be refused');
  };

  it('lets a run without --namespace, or with an existing one, through', () => {
    expect(() => checkCommandLine(root, nx('run-many', '-t', 'up'))).not.toThrow();
    expect(() => checkCommandLine(root, nx('run-many', '-t', 'up', '--namespace=s1'))).not.toThrow();
  });

  it('refuses an empty, unknown or path-like namespace before any task runs, listing the namespaces', () => {
    expect(failureOf(nx('run-many', '-t', 'up', '--namespace='))).toContain(
      "--namespace is empty\n  fix: give a namespace, e.g. --namespace=s1, or leave the flag out to use config.yaml's default-namespace (s2)",
    );
    expect(failureOf(nx('run-many', '-t', 'up', '--namespace=s9'))).toBe(
      'unknown namespace "s9": configs/s9/ does not exist\n  fix: did you mean "s1"? namespaces here: s1, s2',
    );
    expect(failureOf(nx('run-many', '-t', 'clone', '--namespace=../etc'))).toContain('namespace "../etc" is not a plain folder name');
    expect(failureOf(nx('run-many', '-t', 'clone', '--namespace=README.md'))).toContain('unknown namespace "README.md"');
  });
});
