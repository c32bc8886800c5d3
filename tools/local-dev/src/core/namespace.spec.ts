import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from './errors';
import { listNamespaces, namespacesAmong, resolveNamespace } from './namespace';
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
    expect(failureOf('../s1')).toBe(
      'namespace "../s1" is not a plain folder name\n  fix: pass --namespace=<name of a folder under configs/>, e.g. --namespace=s2',
    );
    expect(failureOf('s1/x')).toContain('not a plain folder name');
  });

  it('tells how to start when configs/ has no namespace at all', () => {
    rmSync(path.join(root, 'configs'), { recursive: true });
    expect(failureOf('s1')).toContain('fix: create configs/s1/');
  });

  it('names no namespaces for an empty --namespace when configs/ has none', () => {
    rmSync(path.join(root, 'configs'), { recursive: true });
    expect(failureOf('')).toBe(
      "--namespace is empty\n  fix: give a namespace, e.g. --namespace=s1, or leave the flag out to use config.yaml's default-namespace (s1)",
    );
  });

  it('lists the namespaces in alphabetical order, whatever order the disk returns them in', () => {
    // This machine's file system happens to list folders sorted; ext4 lists them in hash order.
    const entry = (name: string, folder = true) => ({ name, isDirectory: () => folder });
    const entries = [entry('s2'), entry('auto'), entry('README.md', false), entry('.hidden'), entry('qa'), entry('s1')];
    expect(namespacesAmong(entries)).toEqual(['auto', 'qa', 's1', 's2']);
  });

  it('reports a configs/ it cannot read as it is, not as "no namespaces"', () => {
    // A file where the folder should be: "create configs/s1/" would send the user the wrong way.
    rmSync(path.join(root, 'configs'), { recursive: true });
    writeFileSync(path.join(root, 'configs'), 'a file, not a folder');
    expect(() => listNamespaces(workspacePaths(root))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it('reports a namespace folder it cannot read as it is, not as "does not exist"', () => {
    // configs/s3 is a symlink that points at itself: it exists, but stat fails with ELOOP.
    symlinkSync('s3', path.join(root, 'configs', 's3'));
    expect(() => resolve('s3')).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });
});
