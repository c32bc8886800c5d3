/**
 * The precompiled-JS loader (compiled.js): a tree is compiled once per source state, reused while
 * nothing changed, never reused after an edit, survives processes compiling at once, and the real
 * executors and plugin load through it without a transpiler.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Loader {
  sourceRoot: string;
  cacheRoot: string;
  hashSources(): string;
  tree(): string;
  compiledPath(relative: string): string;
  load(relative: string): Record<string, unknown>;
}
interface Hooks {
  beforeCompile?: () => void;
  beforeRename?: (temporary: string) => void;
}
interface LoaderModule {
  createLoader(options: { sourceRoot: string; cacheRoot: string; hooks?: Hooks }): Loader;
  listSources(root: string): string[];
}

const LOADER_FILE = path.join(__dirname, 'compiled.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createLoader, listSources } = require(LOADER_FILE) as LoaderModule;
const LOCAL_DEV = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(LOCAL_DEV, '../..');

let folder: string;
let sourceRoot: string;
let cacheRoot: string;

function write(relative: string, content: string): void {
  const file = path.join(sourceRoot, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** A fresh loader, as a new process would create it (the tree is memoized per loader). */
function loader(hooks?: Hooks): Loader {
  return createLoader({ sourceRoot, cacheRoot, hooks });
}

/** Loads `relative` in a new node process and returns what it printed. */
function loadInProcess(relative: string, expression = 'JSON.stringify(m)'): string {
  const script = `const m = require(${JSON.stringify(LOADER_FILE)}).createLoader({ sourceRoot: ${JSON.stringify(sourceRoot)}, cacheRoot: ${JSON.stringify(cacheRoot)} }).load(${JSON.stringify(relative)}); process.stdout.write(String(${expression}));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

function trees(): string[] {
  return existsSync(cacheRoot) ? readdirSync(cacheRoot).sort() : [];
}

beforeEach(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-compiled-'));
  sourceRoot = path.join(folder, 'source');
  cacheRoot = path.join(folder, 'cache');
  write('plugin.ts', `import { answer } from './src/answer';\nexport const value: number = answer();\n`);
  write('src/answer.ts', `export const answer = (): number => 41 + 1;\n`);
  write(
    'src/asset.ts',
    `import { readFileSync } from 'node:fs';\nimport * as path from 'node:path';\nexport const asset = readFileSync(path.join(__dirname, '../bin/asset.txt'), 'utf8');\nexport const here = __dirname;\n`,
  );
  write('bin/asset.txt', 'beside the source');
  write('src/answer.spec.ts', `test('x', () => undefined);\n`);
  write('e2e/helper.ts', `export const e2e = true;\n`);
  write('src/types.d.ts', `export interface X { a: number }\n`);
});

afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('compiled tree', () => {
  it('compiles every runtime source on a miss, leaving out specs, e2e/ and .d.ts files', () => {
    expect(listSources(sourceRoot)).toEqual(['plugin.ts', 'src/answer.ts', 'src/asset.ts']);
    expect(loadInProcess('plugin', 'm.value')).toBe('42');
    const [tree] = trees();
    expect(trees()).toEqual([tree]);
    expect(existsSync(path.join(cacheRoot, tree, 'src/answer.js'))).toBe(true);
    expect(existsSync(path.join(cacheRoot, tree, 'src/answer.spec.js'))).toBe(false);
    expect(existsSync(path.join(cacheRoot, tree, 'e2e'))).toBe(false);
  });

  it('keeps the source folder as __dirname, so files beside the sources are found', () => {
    expect(loadInProcess('src/asset', 'm.asset')).toBe('beside the source');
    expect(loadInProcess('src/asset', 'm.here')).toBe(path.join(sourceRoot, 'src'));
  });

  it('leads a relative require of runtime/compiled back to the loader, as from source', () => {
    write(
      'src/entry.ts',
      `// eslint-disable-next-line @typescript-eslint/no-require-imports\nexport const found = typeof require('../runtime/compiled').compiledPath;\n`,
    );
    expect(loadInProcess('src/entry', 'm.found')).toBe('function');
  });

  it('keeps compiled code in strict mode, also below a leading comment', () => {
    write(
      'src/strict.ts',
      `/**\n * A file comment, which swc keeps above "use strict".\n */\nexport const strict = (function (this: unknown) { return this === undefined; })();\n`,
    );
    expect(loadInProcess('src/strict', 'm.strict')).toBe('true');
  });

  it('reuses the tree while nothing changed (no second compile)', () => {
    const first = loader().tree();
    const compiles: string[] = [];
    const second = loader({ beforeRename: (temporary) => compiles.push(temporary) }).tree();
    expect(second).toBe(first);
    expect(compiles).toEqual([]);
  });

  it('never serves a stale tree after a source edit, even one that keeps the size', () => {
    expect(loadInProcess('plugin', 'm.value')).toBe('42');
    write('src/answer.ts', `export const answer = (): number => 41 + 2;\n`);
    expect(loadInProcess('plugin', 'm.value')).toBe('43');
    expect(trees()).toHaveLength(2);
  });

  it('compiles the contents it hashed, even when a source is edited during the compile', () => {
    const during = loader({ beforeCompile: () => write('src/answer.ts', `export const answer = (): number => 41 + 2;\n`) });
    expect(during.load('plugin').value).toBe(42);
    expect(loadInProcess('plugin', 'm.value')).toBe('43');
  });

  it('ignores edits to specs and e2e files', () => {
    const before = loader().hashSources();
    write('src/answer.spec.ts', `test('y', () => undefined);\n`);
    write('e2e/helper.ts', `export const e2e = false;\n`);
    expect(loader().hashSources()).toBe(before);
    write('src/new-module.ts', `export {};\n`);
    expect(loader().hashSources()).not.toBe(before);
  });

  it('lets the first of two racing compiles win; the other uses its tree and leaves nothing behind', () => {
    const winner = loader();
    let winnerTree = '';
    const loser = loader({
      beforeRename: () => {
        // The loser has written its copy; the winner compiles and renames first.
        winnerTree = winner.tree();
      },
    });
    expect(loser.tree()).toBe(winnerTree);
    expect(trees()).toEqual([path.basename(winnerTree)]);
    expect(loser.load('plugin').value).toBe(42);
  });

  it('survives several processes compiling the same sources at once', async () => {
    const script = `const l = require(${JSON.stringify(LOADER_FILE)}).createLoader({ sourceRoot: ${JSON.stringify(sourceRoot)}, cacheRoot: ${JSON.stringify(cacheRoot)} }); process.stdout.write(String(l.load('plugin').value));`;
    const outputs = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            let err = '';
            child.stdout.on('data', (chunk: Buffer) => (out += chunk));
            child.stderr.on('data', (chunk: Buffer) => (err += chunk));
            child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
          }),
      ),
    );
    expect(outputs).toEqual(['42', '42', '42', '42']);
    expect(trees()).toHaveLength(1);
  });

  it('on a compile, removes trees unused for a day (keeping the 3 last used) and dead temp folders', () => {
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600 * 1000);
    const make = (name: string, usedAt: Date) => {
      mkdirSync(path.join(cacheRoot, name, 'src'), { recursive: true });
      utimesSync(path.join(cacheRoot, name), usedAt, usedAt);
    };
    make('recent', hoursAgo(1));
    ['old-1', 'old-2', 'old-3', 'old-4'].forEach((name, index) => make(name, hoursAgo(48 + index)));
    make('.tmp-dead-1-x', hoursAgo(1));
    make('.tmp-live-2-y', new Date());
    const current = path.basename(loader().tree());
    expect(trees()).toEqual(['.tmp-live-2-y', current, 'old-1', 'old-2', 'recent'].sort());
  });

  it('fails only where a source that does not compile is loaded, naming it', () => {
    write('src/broken.ts', `export const broken = (;\n`);
    const tree = loader();
    expect(tree.load('plugin').value).toBe(42);
    expect(() => tree.load('src/broken')).toThrow(/src\/broken\.ts does not compile/);
  });

  it('names the missing source when asked for one that does not exist', () => {
    expect(() => loader().load('src/nope')).toThrow(`no source ${path.join(sourceRoot, 'src/nope.ts')}`);
  });
});

describe('the real plugin, executors, hashers and generators', () => {
  it('point Nx at JS entries that resolve to functions without a TypeScript transpiler', () => {
    const executors = JSON.parse(readFileSync(path.join(LOCAL_DEV, 'executors.json'), 'utf8')) as {
      executors: Record<string, { implementation: string; batchImplementation?: string; hasher?: string }>;
    };
    const generators = JSON.parse(readFileSync(path.join(LOCAL_DEV, 'generators.json'), 'utf8')) as { generators: Record<string, { factory: string }> };
    const nxJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'nx.json'), 'utf8')) as { plugins: string[] };
    /** Each as Nx resolves it: a file, and the export after "#" (none: the module itself). */
    const entries = [
      ...Object.values(executors.executors).flatMap((entry) => [entry.implementation, entry.batchImplementation, entry.hasher]),
      ...Object.values(generators.generators).map((entry) => entry.factory),
    ]
      .filter((entry): entry is string => entry !== undefined)
      .map((entry) => {
        const [file, member] = entry.split('#');
        return { file: path.join(LOCAL_DEV, file), member };
      });
    for (const entry of entries) expect(entry.file).toMatch(/\.js$/);
    const plugin = path.join(REPO_ROOT, nxJson.plugins[0]);
    // Compile first (a miss loads @swc/core to compile), then load everything in a clean process.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(LOADER_FILE) as { compiledPath(relative: string): string }).compiledPath('plugin');
    const script = `
      const entries = ${JSON.stringify(entries)};
      const kinds = entries.map(({ file, member }) => { const m = require(file); return typeof (member ? m[member] : (m.default ?? m)); });
      const plugin = typeof require(${JSON.stringify(plugin)}).createNodes;
      const swc = Object.keys(require.cache).filter((k) => k.includes('/@swc/') || k.includes('/@swc-node/'));
      process.stdout.write(JSON.stringify({ kinds, plugin, swc, tsHook: typeof require.extensions['.ts'] }));`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as { kinds: string[]; plugin: string; swc: string[]; tsHook: string };
    expect(report.kinds).toEqual(entries.map(() => 'function'));
    expect(report.plugin).toBe('object');
    expect(report.swc).toEqual([]);
    expect(report.tsHook).toBe('undefined');
  });

  it('names the entry that does not exist, instead of handing Nx undefined', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require(path.join(LOCAL_DEV, 'runtime/entry.js')) as Record<string, unknown>;
    expect(() => entry['executor/nope']).toThrow(/no source .*executors\/nope\/nope\.impl\.ts/);
    expect(() => entry['nope/up']).toThrow('local-dev: no entry "nope/up" (expected <executor|batch|hasher|generator>/<name>)');
    expect(() => entry['hasher/nope']).toThrow('local-dev: entry "hasher/nope" is not a function');
    expect(entry.then).toBeUndefined();
  });
});
