/**
 * `npm run test:seeded-bugs`: proves that the eight bugs issue 15 found surviving the unit specs are
 * each caught by a named test. For every bug it puts the bug into a scratch copy of the workspace
 * (never into yours), runs the named test there and expects it to fail; the same test must pass
 * without the bug. Prints one line per bug and exits 1 when a bug goes uncaught.
 *
 * A seed is an exact piece of source and the bug that replaces it. When the code around it changes,
 * the seed no longer matches and the run says so: update the seed, never drop it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SRC = 'tools/local-dev/src';

/** The eight survivors of issue 15, in its order. */
export const SEEDED_BUGS = [
  {
    bug: "inject/path-safety: the on-disk check that a dest's real folder is not inside .git is gone",
    file: `${SRC}/inject/path-safety.ts`,
    from: `  if (isInside(path.join(realRoot, '.git'), realParent)) return "resolves into the clone's .git folder";\n`,
    to: '',
    spec: `${SRC}/inject/path-safety.spec.ts`,
    test: "refuses a dest whose folder is a symlink into the clone's .git (a hook would run on the next checkout)",
  },
  {
    bug: 'inject/plan: the clash key is the raw dest, not the normalized one',
    file: `${SRC}/inject/plan.ts`,
    from: '    const key = normalizeDest(file.dest);',
    to: '    const key = file.dest;',
    spec: `${SRC}/inject/plan.spec.ts`,
    test: 'reports a clash between dests that differ only in how they are written ("./.env" and ".env"), in either order',
  },
  {
    bug: 'config/rules: the host-port clash key ignores the protocol',
    file: `${SRC}/config/rules.ts`,
    from: '      const key = `${mapping.protocol}/${mapping.host}`;',
    to: '      const key = `tcp/${mapping.host}`;',
    spec: `${SRC}/config/rules.spec.ts`,
    test: 'lets one host port carry TCP and UDP (DNS on 5353:53 and 5353:53/udp)',
  },
  {
    bug: 'config/load: the problems are no longer sorted by line',
    file: `${SRC}/config/load.ts`,
    from: '[...schemaProblems, ...ruleProblems].sort((a, b) => a.line - b.line)',
    to: '[...schemaProblems, ...ruleProblems]',
    spec: `${SRC}/config/load.spec.ts`,
    test: 'sorts by line when schema problems come before and after a rule problem in the file',
  },
  {
    bug: 'compose/document: build args are written without $ escaping',
    file: `${SRC}/compose/document.ts`,
    from: '{ args: escapeAll(service.buildArgs) }',
    to: '{ args: service.buildArgs }',
    spec: `${SRC}/compose/document.spec.ts`,
    test: 'writes a $ in a build arg and in an environment value as $$, so compose passes it on literally',
  },
  {
    bug: 'tunnel/redis-ping: every simple-string reply (+OK) is taken for PONG',
    file: `${SRC}/tunnel/redis-ping.ts`,
    from: "if (reply.type === 'simple' && reply.value === 'PONG')",
    to: "if (reply.type === 'simple')",
    spec: `${SRC}/tunnel/redis-ping.spec.ts`,
    test: 'is not fooled by a server that answers every command with +OK: only +PONG is Redis answering PING',
  },
  {
    bug: 'git/backup: saveLocalWork returns early on a clean tree, even with a local branch at risk',
    file: `${SRC}/git/backup.ts`,
    from: 'if (work.localCommits === 0 && work.changedFiles === 0 && !localBranchAtRisk && ignoredInTheWay.length === 0) return undefined;',
    to: 'if (work.localCommits === 0 && work.changedFiles === 0 && ignoredInTheWay.length === 0) return undefined;',
    spec: `${SRC}/git/backup.spec.ts`,
    test: 'keeps a local branch with unpushed commits even when HEAD is elsewhere and the tree is clean',
  },
  {
    bug: 'core/namespace: any existing path is accepted as a namespace folder',
    file: `${SRC}/core/namespace.ts`,
    from: '    return statSync(folder).isDirectory();',
    to: '    return statSync(folder) !== undefined;',
    spec: `${SRC}/core/namespace.spec.ts`,
    test: 'never takes a file under configs/ for a namespace folder',
  },
];

/** Pure: the source with the bug in it, or an error when the seed no longer matches exactly once. */
export function seed(source, { from, to, file }) {
  const first = source.indexOf(from);
  if (first === -1) return { error: `${file} no longer contains the seed's code: update the seed in tools/testing/seeded-bugs.mjs` };
  if (source.indexOf(from, first + 1) !== -1) return { error: `${file} contains the seed's code more than once: make the seed longer` };
  return { source: source.slice(0, first) + to + source.slice(first + from.length) };
}

/** Pure: a test name as a jest --testNamePattern that matches it literally. */
export function literalPattern(name) {
  return `^(.* )?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/** A copy of the workspace's tracked and untracked files (not ignored ones), node_modules linked. */
function scratchWorkspace(root) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'local-dev-seeded-bugs-'));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${root}: ${listed.stderr}`);
  for (const file of new Set(listed.stdout.split('\0').filter(Boolean))) {
    mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
    // A file deleted in the working tree but still in the index is simply left out.
    cpSync(path.join(root, file), path.join(scratch, file), { verbatimSymlinks: true, errorOnExist: false, force: true });
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  return scratch;
}

/** Runs one named test in `cwd`; true when it passed. */
function testPasses(cwd, { spec, test }) {
  const jest = path.join(cwd, 'node_modules', '.bin', 'jest');
  const run = spawnSync(jest, ['-c', 'jest.unit.config.js', '--reporters=default', '-t', literalPattern(test), spec], { cwd, encoding: 'utf8' });
  const ran = /Tests:.*\b(\d+) (passed|failed)/.test(run.stderr);
  if (!ran) throw new Error(`the test "${test}" did not run in ${spec}:\n${run.stderr.slice(-2000)}`);
  return run.status === 0;
}

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const scratch = scratchWorkspace(root);
  let uncaught = 0;
  try {
    for (const [index, bug] of SEEDED_BUGS.entries()) {
      const file = path.join(scratch, bug.file);
      const original = readFileSync(file, 'utf8');
      const seeded = seed(original, bug);
      let verdict;
      if (seeded.error) verdict = `SEED OUT OF DATE: ${seeded.error}`;
      else if (!testPasses(scratch, bug)) verdict = 'TEST FAILS WITHOUT THE BUG';
      else {
        writeFileSync(file, seeded.source);
        try {
          verdict = testPasses(scratch, bug) ? 'NOT CAUGHT' : 'caught';
        } finally {
          writeFileSync(file, original);
        }
      }
      if (verdict !== 'caught') uncaught++;
      process.stdout.write(`${index + 1}. ${bug.bug}\n   ${verdict} by "${bug.test}" (${bug.spec})\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(uncaught === 0 ? `all ${SEEDED_BUGS.length} seeded bugs caught\n` : `${uncaught} of ${SEEDED_BUGS.length} seeded bugs not caught\n`);
  return uncaught === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(main());
