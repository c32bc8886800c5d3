import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from './errors';
import { listNamespaces, resolveNamespace } from './namespace';
import { workspacePaths } from './workspace';

describe('resolveNamespace', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-ns-'));
    for (const namespace of ['s1', 's2', 'qa']) mkdirSync(path.join(root, 'configs', namespace), { recursive: true });
    writeFileSync(path.join(root, 'configs', 'README.md'), 'not a namespace');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const resolve = (requested: string | undefined) => resolveNamespace(workspacePaths(root), requested, 's1');
  const failureOf = (requested: string) => {
    try {
      resolve(requested);
    } catch (error) {
      if (error instanceof UsageError) return error.describe();
      throw error;
    }
    throw new Error('expected a UsageError');
  };

  it('uses the default namespace when none is given', () => {
    expect(resolve(undefined)).toBe('s1');
  });

  it('refuses an empty --namespace instead of silently running the default one, listing the namespaces', () => {
    expect(failureOf('')).toBe(
      "--namespace is empty\n  fix: give a namespace, e.g. --namespace=qa, or leave the flag out to use config.yaml's default-namespace (s1); namespaces here: qa, s1, s2",
    );
    expect(failureOf('  ')).toContain('--namespace is empty');
  });

  it('never takes a file under configs/ for a namespace folder', () => {
    // configs/README.md is shipped: a namespace must be a folder, not any existing path.
    expect(failureOf('README.md')).toBe('unknown namespace "README.md": configs/README.md/ does not exist\n  fix: namespaces here: qa, s1, s2');
    expect(listNamespaces(workspacePaths(root))).not.toContain('README.md');
  });

  it('accepts a namespace whose configs folder exists', () => {
    expect(resolve('qa')).toBe('qa');
  });

  it('lists the namespaces that exist, and suggests the close one, for an unknown namespace', () => {
    expect(listNamespaces(workspacePaths(root))).toEqual(['qa', 's1', 's2']);
    expect(failureOf('s3')).toBe('unknown namespace "s3": configs/s3/ does not exist\n  fix: did you mean "s1"? namespaces here: qa, s1, s2');
  });

  it('refuses a namespace that is not a plain folder name', () => {
    expect(failureOf('../s1')).toContain('namespace "../s1" is not a plain folder name');
    expect(failureOf('s1/x')).toContain('not a plain folder name');
  });

  it('tells how to start when configs/ has no namespace at all', () => {
    rmSync(path.join(root, 'configs'), { recursive: true });
    expect(failureOf('s1')).toContain('fix: create configs/s1/');
  });
});
