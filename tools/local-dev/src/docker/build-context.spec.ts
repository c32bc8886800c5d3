import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { contextFiles, ignoreFileInEffect, ignoreMatcher, readIgnorePatterns } from './build-context';

const excluded = (ignoreText: string, file: string) => ignoreMatcher(readIgnorePatterns(ignoreText)).excludes(file);

describe('readIgnorePatterns (as Docker reads a .dockerignore)', () => {
  it('skips comments and blank lines, trims, cleans like a path and drops a leading slash', () => {
    expect(readIgnorePatterns('\uFEFF# comment\n\n  *.md  \n!  README.md\n/abs/path/\n./a/../b\n  # not a comment once trimmed\n')).toEqual([
      '*.md',
      '!README.md',
      'abs/path',
      'b',
      '# not a comment once trimmed',
    ]);
  });
});

/** Docker's documented examples (docs.docker.com, "Build context" → ".dockerignore files") and moby's patternmatcher cases. */
describe('ignoreMatcher (docker matching rules)', () => {
  it.each<[string, string, boolean]>([
    // "# comment" is ignored.
    ['# comment', '# comment', false],
    // "*/temp*": files and folders starting with temp in any immediate subfolder of the root.
    ['*/temp*', 'somedir/temporary.txt', true],
    ['*/temp*', 'somedir/temp', true],
    ['*/temp*', 'somedir/temp/inside.txt', true],
    ['*/temp*', 'temporary.txt', false],
    ['*/temp*', 'a/b/temporary.txt', false],
    // "*/*/temp*": two levels below the root.
    ['*/*/temp*', 'somedir/subdir/temporary.txt', true],
    ['*/*/temp*', 'somedir/temporary.txt', false],
    // "temp?": a one-character extension of temp in the root.
    ['temp?', 'tempa', true],
    ['temp?', 'tempb', true],
    ['temp?', 'temp', false],
    ['temp?', 'tempab', false],
    ['temp?', 'dir/tempa', false],
    // "**" matches any number of folders, zero included.
    ['**/*.go', 'main.go', true],
    ['**/*.go', 'cmd/app/main.go', true],
    ['**/*.go', 'main.gox', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**', 'a/x/y', true],
    ['**', 'anything/at/all', true],
    // The last matching line decides: exceptions re-include, a later exclusion wins again.
    ['*.md\n!README.md', 'README.md', false],
    ['*.md\n!README.md', 'CHANGES.md', true],
    ['*.md\n!README*.md\nREADME-secret.md', 'README-secret.md', true],
    ['*.md\n!README*.md\nREADME-secret.md', 'README-public.md', false],
    ['*.md\nREADME-secret.md\n!README*.md', 'README-secret.md', false],
    // A pattern naming a folder excludes everything below it; a leading slash is the root.
    ['node_modules', 'node_modules/pkg/index.js', true],
    ['/config', 'config/.env', true],
    ['config/', 'config/.env', true],
    ['config', 'src/config/.env', false],
    ['node_modules\n!node_modules/keep', 'node_modules/keep/x.js', false],
    // Special characters: regex characters are literal, "\\" escapes, "[…]" is a class.
    ['file.txt', 'fileatxt', false],
    ['a+b(c)', 'a+b(c)', true],
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'x.txt', false],
    ['[ab].txt', 'b.txt', true],
    ['[ab].txt', 'c.txt', false],
    ['[a-c].txt', 'b.txt', true],
    // Exactly the path, not a prefix of a name.
    ['.env', '.env', true],
    ['.env', '.env.example', false],
    ['.env*', '.env.example', true],
  ])('%j on %s → excluded: %s', (ignoreText, file, expected) => {
    expect(excluded(ignoreText, file)).toBe(expected);
  });
});

describe('the context on disk', () => {
  let context: string;
  const write = (file: string, text = 'x') => {
    mkdirSync(path.dirname(path.join(context, file)), { recursive: true });
    writeFileSync(path.join(context, file), text);
  };
  beforeEach(() => {
    context = mkdtempSync(path.join(tmpdir(), 'local-dev-context-'));
  });
  afterEach(() => rmSync(context, { recursive: true, force: true }));

  it('lists what a build sends: files and links, less what the ignore file excludes', () => {
    for (const file of ['app.py', 'config/.env', 'config/base.yaml', 'node_modules/pkg/index.js', 'docs/a.md', 'docs/README.md']) write(file);
    symlinkSync('app.py', path.join(context, 'link.py'));
    expect(contextFiles(context, 'node_modules\n*/*.md\n!docs/README.md\n')).toEqual([
      'app.py',
      'config/.env',
      'config/base.yaml',
      'docs/README.md',
      'link.py',
    ]);
    expect(contextFiles(context, '')).toContain('node_modules/pkg/index.js');
  });

  it('reads the Dockerfile-specific ignore file with BuildKit, the context one with the legacy builder', () => {
    const dockerfile = path.join(context, 'api.dev.Dockerfile');
    expect(ignoreFileInEffect(context, dockerfile, 'buildkit')).toEqual({ file: undefined, text: '' });
    write('.dockerignore', 'repo\n');
    expect(ignoreFileInEffect(context, dockerfile, 'buildkit')).toEqual({ file: path.join(context, '.dockerignore'), text: 'repo\n' });
    write('api.dev.Dockerfile.dockerignore', 'generated\n');
    expect(ignoreFileInEffect(context, dockerfile, 'buildkit')).toEqual({ file: `${dockerfile}.dockerignore`, text: 'generated\n' });
    expect(ignoreFileInEffect(context, dockerfile, 'legacy')).toEqual({ file: path.join(context, '.dockerignore'), text: 'repo\n' });
  });
});
