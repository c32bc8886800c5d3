/**
 * Precompiled JavaScript for the local-dev plugin and executors, with no build step to remember.
 *
 * Why: every uncached Nx task is a new process that loads its executor. Pointing Nx at .ts files
 * makes it register the swc transpiler in every such process (~200 ms of a ~500 ms task) and in the
 * plugin worker of every nx command. Nx is pointed at the tiny shims beside this file instead
 * (runtime/plugin.js, and runtime/entry.js for every executor, hasher and generator), which load the
 * compiled code from here.
 *
 * How: the key of the compiled tree is a hash of every runtime .ts file under tools/local-dev (not
 * specs, e2e/ or fixtures), this file's own text and the source folder's path. A hit costs that hash
 * (reading ~100 small files, a few ms) and one utimes (marking the tree as used). A miss compiles
 * every source with @swc/core into a temp folder, then renames it to <cache>/<hash> in one step: a
 * process sees a complete tree or none, and of several processes compiling at once the first rename
 * wins and the others discard their copy. A source edit changes the hash, so a stale tree is never used.
 *
 * Why read and hash the contents instead of comparing mtimes and sizes: an edit that keeps the size
 * within the file system's timestamp granularity (or a tool that restores mtimes) would go unseen,
 * and reading ~100 files from the page cache costs about the same as stat-ing them.
 *
 * Compiled files keep their source's __dirname/__filename (a line-1 prefix declares them), so code
 * that finds assets, other .ts files or node_modules relative to itself behaves exactly as from
 * source. Plain JavaScript on purpose: loading it must not need a transpiler.
 */
'use strict';
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** The folder holding plugin.ts, executors/ and src/. */
const SOURCE_ROOT = path.resolve(__dirname, '..');
/** Folders never compiled: tests, their fixtures and helpers, this loader, and anything installed. */
const SKIPPED_FOLDERS = new Set(['e2e', 'fixtures', 'testing', 'runtime', 'node_modules', '__fixtures__']);
/** Trees always kept besides the current one, for long-running processes still loading from them. */
const KEEP_TREES = 3;
/** A tree no process has started from for this long is removed on the next compile (each is ~1 MB). */
const TREE_MAX_AGE_MS = 24 * 3600 * 1000;
/** A temp folder older than this belongs to a compile that died; removed on the next compile. */
const TEMP_MAX_AGE_MS = 10 * 60 * 1000;

const SWC_OPTIONS = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: true,
};

function isRuntimeSource(name) {
  return name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.test.ts');
}

/** Runtime .ts files under `root`, as sorted posix-style relative paths. */
function listSources(root) {
  const found = [];
  const walk = (relative) => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(child);
      } else if (entry.isFile() && isRuntimeSource(entry.name)) {
        found.push(child);
      }
    }
  };
  walk('');
  return found.sort();
}

/** The nearest node_modules above `start` gets the cache (like Babel, Jest, Nx); else the temp dir. */
function defaultCacheRoot(start) {
  for (let folder = start; ; folder = path.dirname(folder)) {
    const candidate = path.join(folder, 'node_modules');
    if (fs.existsSync(candidate)) return path.join(candidate, '.cache', 'local-dev');
    if (path.dirname(folder) === folder) return path.join(os.tmpdir(), `local-dev-compiled-${os.userInfo().uid}`);
  }
}

/**
 * One compiled tree of `sourceRoot`, kept under `cacheRoot`.
 * Test hooks, to force races: `hooks.beforeCompile()` runs on a miss after hashing, before compiling;
 * `hooks.beforeRename(tempFolder)` between writing the tree and renaming it into place.
 */
function createLoader({ sourceRoot = SOURCE_ROOT, cacheRoot, hooks = {} } = {}) {
  const root = path.resolve(sourceRoot);
  const cache = cacheRoot ?? defaultCacheRoot(root);
  let current;

  /**
   * Hash of the sources as they are now, with the contents it was computed from: a miss compiles
   * exactly those, so an edit landing during the compile cannot end up under the old hash.
   */
  function hashSources() {
    const sources = listSources(root).map((file) => ({ file, text: fs.readFileSync(path.join(root, file)) }));
    const hash = createHash('sha256');
    hash.update(`${root}\0`);
    hash.update(fs.readFileSync(__filename));
    for (const { file, text } of sources) {
      hash.update(`\0${file}\0`);
      hash.update(text);
    }
    return { hash: hash.digest('hex').slice(0, 16), sources };
  }

  /**
   * The folder of the compiled tree for the sources as they are, compiling it if missing. Memoized
   * for the life of the process: modules already loaded cannot be replaced anyway, and mixing two
   * trees in one process would give two copies of every module.
   */
  function tree() {
    if (current) return current;
    const { hash, sources } = hashSources();
    const folder = path.join(cache, hash);
    try {
      // Marks the tree as in use (pruning goes by this time); costs no more than an existsSync.
      const now = new Date();
      fs.utimesSync(folder, now, now);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
      compileInto(folder, sources);
    }
    current = folder;
    return folder;
  }

  function compileInto(folder, sources) {
    hooks.beforeCompile?.();
    let swc;
    try {
      swc = require('@swc/core');
    } catch (error) {
      throw new Error(
        `local-dev: compiling its TypeScript sources needs @swc/core (a devDependency): run \`npm ci\` at the workspace root. (${error.message})`,
      );
    }
    fs.mkdirSync(cache, { recursive: true });
    const temporary = path.join(cache, `.tmp-${path.basename(folder)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      for (const { file, text } of sources) {
        const sourceFile = path.join(root, file);
        const target = path.join(temporary, file.replace(/\.ts$/, '.js'));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        let output;
        try {
          output = swc.transformSync(text.toString('utf8'), { ...SWC_OPTIONS, filename: sourceFile });
        } catch (error) {
          // Like a transpiler hook, fail only where the file is loaded: a half-edited file that
          // this executor never imports must not break it. Fixing the file changes the hash.
          fs.writeFileSync(target, `throw new SyntaxError(${JSON.stringify(`${sourceFile} does not compile:\n${String(error.message ?? error)}`)});\n`);
          continue;
        }
        fs.writeFileSync(target, `${withSourceLocation(output.code, sourceFile)}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
        if (output.map) fs.writeFileSync(`${target}.map`, output.map);
      }
      // Sources may require this loader relatively (e.g. to start a compiled entry point): from the
      // compiled tree that path must lead back to this file, not to a missing copy.
      fs.mkdirSync(path.join(temporary, 'runtime'), { recursive: true });
      fs.writeFileSync(path.join(temporary, 'runtime', 'compiled.js'), `module.exports = require(${JSON.stringify(__filename)});\n`);
      hooks.beforeRename?.(temporary);
      try {
        fs.renameSync(temporary, folder);
      } catch (error) {
        // Another process renamed its identical tree into place first: use that one.
        if (!['ENOTEMPTY', 'EEXIST', 'EPERM'].includes(error.code) || !fs.existsSync(folder)) throw error;
      }
    } finally {
      fs.rmSync(temporary, { recursive: true, force: true });
    }
    prune(path.basename(folder));
  }

  /** Removes dead compiles' temp folders and unused trees (never the KEEP_TREES last used, never `keep`). */
  function prune(keep) {
    const now = Date.now();
    const trees = [];
    for (const name of fs.readdirSync(cache)) {
      if (name === keep) continue;
      const full = path.join(cache, name);
      let stat;
      try {
        stat = fs.statSync(full);
      } catch (error) {
        // Removed by another process pruning at the same time.
        if (error.code === 'ENOENT') continue;
        throw error;
      }
      if (name.startsWith('.tmp-')) {
        if (now - stat.mtimeMs > TEMP_MAX_AGE_MS) fs.rmSync(full, { recursive: true, force: true });
      } else {
        trees.push({ full, mtimeMs: stat.mtimeMs });
      }
    }
    trees.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const old of trees.slice(KEEP_TREES)) {
      if (now - old.mtimeMs > TREE_MAX_AGE_MS) fs.rmSync(old.full, { recursive: true, force: true });
    }
  }

  /** Absolute path of the compiled .js of `relative` (a source path without .ts, from the source root). */
  function compiledPath(relative) {
    const file = path.join(tree(), `${relative.replace(/\.ts$/, '')}.js`);
    if (!fs.existsSync(file)) {
      throw new Error(`local-dev: no source ${path.join(root, `${relative.replace(/\.ts$/, '')}.ts`)} to load (compiled tree ${path.dirname(file)})`);
    }
    return file;
  }

  let version;
  return {
    sourceRoot: root,
    cacheRoot: cache,
    hashSources: () => hashSources().hash,
    /**
     * The version of all runtime code, memoized: the name of the tree this process loads from, or the
     * sources' hash when it loads none (a test importing .ts directly). For disk caches of what the
     * code computes (the plugin's projects, the config model), so none outlives the code that made it.
     */
    codeVersion: () => {
      version ??= current ? path.basename(current) : hashSources().hash;
      return version;
    },
    tree,
    compiledPath,
    /** `require` of the compiled `relative` (e.g. 'executors/up/up.impl'). */
    load: (relative) => require(compiledPath(relative)),
  };
}

/**
 * Declares the source's __dirname/__filename on the line of "use strict" (which must stay the
 * first statement), so line numbers and source maps stay right. `var` may redeclare the CommonJS
 * wrapper's parameters.
 */
function withSourceLocation(code, sourceFile) {
  const declaration = `var __dirname = ${JSON.stringify(path.dirname(sourceFile))}, __filename = ${JSON.stringify(sourceFile)};`;
  // swc keeps a file's leading comment above the directive.
  const directive = /^(?:\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*(["'])use strict\1;/.exec(code);
  if (directive) return `${directive[0]}${declaration}${code.slice(directive[0].length)}`;
  return `${declaration}${code}`;
}

const defaultLoader = createLoader();

module.exports = {
  createLoader,
  listSources,
  /** Loads the compiled module of this workspace's `tools/local-dev/<relative>.ts`. */
  load: defaultLoader.load,
  /** Path of the compiled .js of `tools/local-dev/<relative>.ts`, e.g. to start it with `node`. */
  compiledPath: defaultLoader.compiledPath,
  /** The version of this workspace's runtime code (see createLoader's codeVersion). */
  codeVersion: defaultLoader.codeVersion,
};
