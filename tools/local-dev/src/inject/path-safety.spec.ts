import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDestLexically, checkDestOnDisk, normalizeDest } from './path-safety';

describe('checkDestLexically', () => {
  it.each([
    ['app/secrets.py', undefined],
    ['./.env', undefined],
    ['a/../b', undefined],
    ['', 'is empty'],
    ['../x', 'leads outside the clone ("..")'],
    ['a/../../x', 'leads outside the clone ("..")'],
    ['/etc/passwd', 'is an absolute path; it must be relative to the clone'],
    ['C:\\x', 'is an absolute path; it must be relative to the clone'],
    ['.git/config', "points into the clone's .git folder"],
    ['app/', 'names a folder, not a file'],
    ['   ', 'is empty'],
    ['.', 'names a folder, not a file'],
    ['app/..', 'names a folder, not a file'],
    ['..', 'leads outside the clone ("..")'],
    ['..\\x', 'leads outside the clone ("..")'],
    ['app\\..\\..\\x', 'leads outside the clone ("..")'],
  ])('%s', (dest, problem) => {
    expect(checkDestLexically(dest)).toBe(problem);
  });

  it('normalizes to forward slashes without "./"', () => {
    expect(normalizeDest('./app\\x/../secrets.py')).toBe('app/secrets.py');
  });
});

describe('checkDestOnDisk', () => {
  let root: string;
  let clone: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-paths-'));
    clone = path.join(root, 'clone');
    mkdirSync(path.join(clone, 'app'), { recursive: true });
    mkdirSync(path.join(root, 'outside'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('accepts new and existing files inside, including through a symlink that stays inside', () => {
    writeFileSync(path.join(clone, 'app/secrets.py'), 'x');
    symlinkSync(path.join(clone, 'app'), path.join(clone, 'alias'));
    expect(checkDestOnDisk(clone, 'app/secrets.py')).toBeUndefined();
    expect(checkDestOnDisk(clone, 'new/deep/file')).toBeUndefined();
    expect(checkDestOnDisk(clone, 'alias/x.py')).toBeUndefined();
  });

  it('refuses a symlinked folder leading out, a symlink as the file, and a folder in the way', () => {
    symlinkSync(path.join(root, 'outside'), path.join(clone, 'out'));
    symlinkSync(path.join(root, 'outside/target'), path.join(clone, 'app/link.py'));
    mkdirSync(path.join(clone, 'app/dir.py'));
    expect(checkDestOnDisk(clone, 'out/deep/x.py')).toBe(`out resolves to ${path.join(root, 'outside')}, outside the clone (a symlink leads out)`);
    expect(checkDestOnDisk(clone, 'app/link.py')).toBe('is a symlink in the clone; local-dev does not write through symlinks');
    expect(checkDestOnDisk(clone, 'app/dir.py')).toBe('exists and is not a regular file');
  });

  it('refuses a dest under a file, naming the file', () => {
    writeFileSync(path.join(clone, 'app/settings.py'), 'x');
    expect(checkDestOnDisk(clone, 'app/settings.py/x.py')).toBe('app/settings.py is a file, not a folder');
  });

  it('reports a path the file system refuses (a name too long) instead of taking it for a missing folder', () => {
    expect(() => checkDestOnDisk(clone, `${'a'.repeat(300)}/x.py`)).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }));
  });

  // issue 15, survivor 1: only the on-disk check sees that `h` leads into .git (lexically, h/post-checkout is fine).
  it("refuses a dest whose folder is a symlink into the clone's .git (a hook would run on the next checkout)", () => {
    spawnSync('git', ['init', '-q', clone]);
    symlinkSync(path.join(clone, '.git/hooks'), path.join(clone, 'h'));
    expect(checkDestLexically('h/post-checkout')).toBeUndefined();
    expect(checkDestOnDisk(clone, 'h/post-checkout')).toBe("resolves into the clone's .git folder");
    // Relative links and links to .git itself too.
    symlinkSync('.git', path.join(clone, 'g'));
    expect(checkDestOnDisk(clone, 'g/hooks/pre-commit')).toBe("resolves into the clone's .git folder");
  });
});
