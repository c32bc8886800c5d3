import { BLOCK_END, BLOCK_START, exactIgnorePattern, withExcludeBlock } from './exclude';

describe('the local-dev block of .git/info/exclude', () => {
  const userLines = '# git ls-files --others --exclude-from=.git/info/exclude\n*.swp\n';

  it("adds, replaces and removes only its own block, keeping the user's lines byte for byte", () => {
    const once = withExcludeBlock(userLines, ['b.env', 'app/secrets.py']);
    expect(once).toBe(`${userLines}${BLOCK_START}\n/app/secrets.py\n/b.env\n${BLOCK_END}\n`);
    expect(withExcludeBlock(once, ['b.env', 'app/secrets.py'])).toBe(once);
    expect(withExcludeBlock(once, ['c'])).toBe(`${userLines}${BLOCK_START}\n/c\n${BLOCK_END}\n`);
    expect(withExcludeBlock(once, [])).toBe(userLines);
    expect(withExcludeBlock('', ['x'])).toBe(`${BLOCK_START}\n/x\n${BLOCK_END}\n`);
  });

  it('escapes glob characters so a pattern matches exactly one path', () => {
    expect(exactIgnorePattern('conf/[prod]*.yaml')).toBe('/conf/\\[prod\\]\\*.yaml');
    expect(exactIgnorePattern('!important #1')).toBe('/\\!important \\#1');
  });
});
