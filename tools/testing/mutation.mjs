/**
 * `npm run test:mutation [-- <selection> …] [--force] [--concurrency N]`: Stryker on the scope of
 * stryker.config.mjs, or on part of it, then the mutation score of every module.
 *
 *   npm run test:mutation                     the whole scope
 *   npm run test:mutation -- docker git       two folders
 *   npm run test:mutation -- docker/ports     one module
 *   npm run test:mutation -- git --force      re-test every mutant, not only the changed ones
 *   npm run test:mutation -- --last           no run: the scores of the last runs, from their incremental files
 *
 * One Stryker run per folder (or module) named, one after the other, each with its own incremental
 * file under reports/mutation/ (git-ignored): `docker` and the whole scope share docker's, and no
 * run throws away what a run of another folder learnt. Exits 1 when a run fails or the score of
 * all that was tested is below REQUIRED_SCORE.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Stryker } from '@stryker-mutator/core';
import { MUTATION_SCOPE, modulePath, REQUIRED_SCORE, STATIC_MODULES } from '../../stryker.config.mjs';

const USAGE = `usage: npm run test:mutation [-- <folder|folder/module> …] [--force] [--concurrency N] [--last]
  folders and modules: ${Object.entries(MUTATION_SCOPE)
    .map(([folder, modules]) => `${folder} (${modules.join(', ')})`)
    .join('; ')}`;

/**
 * argv → the Stryker runs to make, one per folder or module named (every folder when none is),
 * each with its own incremental file and HTML report, and whether only to print the last runs'
 * scores (--last); or an error message.
 */
export function parseArguments(argv) {
  const runs = [];
  const options = {};
  let last = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--force') options.force = true;
    else if (arg === '--last') last = true;
    else if (arg === '--concurrency' || arg.startsWith('--concurrency=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!/^[1-9]\d*$/.test(value ?? '')) return { error: `--concurrency needs a whole number of processes, got "${value ?? ''}"` };
      options.concurrency = Number(value);
    } else if (arg.startsWith('-')) return { error: `unknown option ${arg}` };
    else {
      const [folder, module, extra] = arg.replace(/\.ts$/, '').replace(/\/$/, '').split('/');
      const modules = MUTATION_SCOPE[folder];
      if (!modules || extra !== undefined || (module !== undefined && !modules.includes(module))) return { error: `"${arg}" is not in the mutation scope` };
      const key = module === undefined ? folder : `${folder}-${module}`;
      if (!runs.some((run) => run.key === key)) runs.push({ key, modules: (module === undefined ? modules : [module]).map((name) => `${folder}/${name}`) });
    }
  }
  if (runs.length === 0)
    for (const [folder, modules] of Object.entries(MUTATION_SCOPE)) runs.push({ key: folder, modules: modules.map((name) => `${folder}/${name}`) });
  // A static module gets a run of its own, with static mutants on (see STATIC_MODULES).
  const split = runs.flatMap(({ key, modules }) => {
    const plain = modules.filter((module) => !STATIC_MODULES.includes(module));
    const statics = modules.filter((module) => STATIC_MODULES.includes(module));
    return [
      ...(plain.length > 0 ? [{ key, modules: plain, ignoreStatic: true }] : []),
      ...statics.map((module) => ({ key: module.replace('/', '-'), modules: [module], ignoreStatic: false })),
    ];
  });
  return {
    last,
    runs: split.map(({ key, modules, ignoreStatic }) => ({
      key,
      modules,
      options: {
        ...options,
        ignoreStatic,
        mutate: modules.map((module) => modulePath(...module.split('/'))),
        incrementalFile: `reports/mutation/${key}.incremental.json`,
        htmlReporter: { fileName: `reports/mutation/${key}.html` },
      },
    })),
  };
}

/** Per-module counts and score (killed + timeout over valid mutants: CompileError, RuntimeError and Ignored are not valid). */
export function scoresByModule(results, modules) {
  const rows = new Map(modules.map((module) => [module, { module, killed: 0, timeout: 0, survived: 0, noCoverage: 0, invalid: 0 }]));
  for (const result of results) {
    const relative = path.relative(process.cwd(), path.resolve(result.fileName)).split(path.sep).join('/');
    const module = modules.find((name) => relative === modulePath(...name.split('/')));
    const row = module && rows.get(module);
    if (!row) continue;
    if (result.status === 'Killed') row.killed++;
    else if (result.status === 'Timeout') row.timeout++;
    else if (result.status === 'Survived') row.survived++;
    else if (result.status === 'NoCoverage') row.noCoverage++;
    else row.invalid++;
  }
  const total = { module: 'total', killed: 0, timeout: 0, survived: 0, noCoverage: 0, invalid: 0 };
  for (const row of rows.values()) for (const key of ['killed', 'timeout', 'survived', 'noCoverage', 'invalid']) total[key] += row[key];
  const withScore = (row) => {
    const detected = row.killed + row.timeout;
    const valid = detected + row.survived + row.noCoverage;
    return { ...row, score: valid === 0 ? undefined : (100 * detected) / valid };
  };
  return { rows: [...rows.values()].map(withScore), total: withScore(total) };
}

/** The results an earlier run left in its incremental file for the files of `mutate` (none when it never ran). */
function lastResults(incrementalFile, mutate) {
  if (!existsSync(incrementalFile)) return [];
  const report = JSON.parse(readFileSync(incrementalFile, 'utf8'));
  return Object.entries(report.files)
    .filter(([fileName]) => mutate.includes(fileName))
    .flatMap(([fileName, file]) => file.mutants.map((mutant) => ({ fileName, status: mutant.status })));
}

export function formatScores({ rows, total }) {
  const header = ['module', 'score', 'killed', 'timeout', 'survived', 'no cover', 'invalid'];
  const line = (row) =>
    [row.module, row.score === undefined ? 'n/a' : `${row.score.toFixed(1)}%`, row.killed, row.timeout, row.survived, row.noCoverage, row.invalid].map(String);
  const table = [header, ...rows.map(line), line(total)];
  const widths = header.map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
  const render = (cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [
    `mutation score per module (killed + timeout over valid mutants; required: ${REQUIRED_SCORE}%)`,
    render(header),
    ...rows.map((row) => render(line(row))),
    render(line(total)),
  ].join('\n');
}

async function main() {
  const parsed = parseArguments(process.argv.slice(2));
  if (parsed.error) {
    process.stderr.write(`${parsed.error}\n${USAGE}\n`);
    return 2;
  }
  const results = [];
  const timings = [];
  if (parsed.last) {
    for (const run of parsed.runs) results.push(...lastResults(run.options.incrementalFile, run.options.mutate));
    const scores = scoresByModule(
      results,
      parsed.runs.flatMap((run) => run.modules),
    );
    process.stdout.write(`${formatScores(scores)}\n(from the last runs' incremental files; a module never run shows n/a)\n`);
    return 0;
  }
  for (const run of parsed.runs) {
    const started = Date.now();
    results.push(...(await new Stryker(run.options).runMutationTest()));
    const seconds = Math.round((Date.now() - started) / 1000);
    timings.push(`${run.key} ${Math.floor(seconds / 60)} min ${seconds % 60} s`);
  }
  const scores = scoresByModule(
    results,
    parsed.runs.flatMap((run) => run.modules),
  );
  process.stdout.write(`\n${formatScores(scores)}\n(took: ${timings.join(', ')})\n`);
  if (scores.total.score !== undefined && scores.total.score < REQUIRED_SCORE) {
    process.stderr.write(`mutation score ${scores.total.score.toFixed(1)}% is below ${REQUIRED_SCORE}%: the survivors are listed above\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      // Stryker has logged the cause already; make sure the run fails.
      process.stderr.write(`mutation testing failed: ${error?.message ?? error}\n`);
      process.exit(1);
    },
  );
}
