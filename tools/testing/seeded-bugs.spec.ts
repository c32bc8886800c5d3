/**
 * The seeds of `npm run test:seeded-bugs` stay in step with the code: a refactor that moves a
 * seeded line fails here, in `npm test`, instead of silently weakening the proof that the eight
 * bugs of issue 15 are caught. (The full proof runs each named test with its bug: too slow for npm test.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(__dirname, 'seeded-bugs.mjs');

interface Seed {
  bug: string;
  file: string;
  from: string;
  to: string;
  spec: string;
  test: string;
}

/** The ES module's exports, through a child node (Jest runs these specs as CommonJS). */
function load<T>(expression: string): T {
  const program = `import(${JSON.stringify(SCRIPT)}).then((m) => process.stdout.write(JSON.stringify(${expression})))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', program], { encoding: 'utf8' })) as T;
}

describe('seeded bugs of issue 15', () => {
  const seeds = load<Seed[]>('m.SEEDED_BUGS');

  it('lists the eight bugs, each with code that occurs exactly once in its file and a named test in its spec', () => {
    expect(seeds).toHaveLength(8);
    for (const seed of seeds) {
      const source = readFileSync(path.join(ROOT, seed.file), 'utf8');
      expect({ file: seed.file, occurrences: source.split(seed.from).length - 1 }).toEqual({ file: seed.file, occurrences: 1 });
      expect(seed.to).not.toBe(seed.from);
      expect(readFileSync(path.join(ROOT, seed.spec), 'utf8')).toContain(seed.test);
    }
  });

  it('seeds a bug by replacing exactly one match, and refuses a seed that matches none or several', () => {
    const results = load<Array<{ source?: string; error?: string }>>(
      `[m.seed('a b c', { from: 'b', to: 'x', file: 'f.ts' }), m.seed('a c', { from: 'b', to: 'x', file: 'f.ts' }), m.seed('b b', { from: 'b', to: 'x', file: 'f.ts' })]`,
    );
    expect(results[0]).toEqual({ source: 'a x c' });
    expect(results[1].error).toContain('f.ts no longer contains the seed');
    expect(results[2].error).toContain('more than once');
  });

  it('turns a test name with regex characters into a pattern that matches it literally, also under its describe', () => {
    const name = 'reports a clash ("./.env" and ".env"), in either order: $ [x]';
    const pattern = new RegExp(load<string>(`m.literalPattern(${JSON.stringify(name)})`));
    expect(pattern.test(name)).toBe(true);
    expect(pattern.test(`inject plan ${name}`)).toBe(true);
    expect(pattern.test(name.replace('.env', 'xenv'))).toBe(false);
    expect(pattern.test(`${name} and more`)).toBe(false);
  });
});
