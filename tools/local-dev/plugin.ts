/**
 * The local-dev Nx plugin: repos_docker_files/config.yaml → one Nx project per service.
 *
 * One flat pipeline: read the config → hash it → reuse the projects computed for that hash
 * (in memory, then on disk) → otherwise parse, validate and infer, and remember the result.
 * The parser (yaml + zod) is loaded only on a cache miss, so an unchanged config costs a file
 * read and a hash. All mapping logic lives in src/plugin/infer.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CreateNodes, CreateNodesResult, PostTasksExecution, PreTasksExecution } from '@nx/devkit';
import { CONFIG_PATH } from './src/config/paths';
import { readKeyedCache, workspaceDataFile, writeKeyedCache } from './src/core/keyed-cache';

type Projects = NonNullable<CreateNodesResult['projects']>;
/** What one config gives: the projects. */
interface Inference {
  projects: Projects;
}

/**
 * The version of local-dev's code, from the compile cache that hashes every source (runtime/compiled.js),
 * required by path because this module runs from the compiled tree.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { codeVersion } = require(path.join(__dirname, 'runtime', 'compiled.js')) as { codeVersion(): string };
const memoryCache = new Map<string, Inference>();

function infer(workspaceRoot: string): Inference {
  // Lazy on purpose: the parser is only needed when the config changed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadConfig } = require('./src/config/load') as typeof import('./src/config/load');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { inferProjects } = require('./src/plugin/infer') as typeof import('./src/plugin/infer');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isLocalDevError } = require('./src/core/errors') as typeof import('./src/core/errors');
  try {
    const model = loadConfig(workspaceRoot);
    return { projects: inferProjects(model) };
  } catch (error) {
    // A broken config.yaml is the user's to fix, not a crash: Nx shows this message, not our stack.
    if (isLocalDevError(error)) {
      const clean = new Error(`local-dev could not read ${CONFIG_PATH}.\n${error.describe()}`);
      clean.stack = clean.message;
      throw clean;
    }
    throw error;
  }
}

let cachedInferenceVersion: string | undefined;
/**
 * Changes whenever local-dev's code or executors.json (the targets' descriptions) changes, so a disk
 * cache never outlives the code that made it.
 */
function inferenceVersion(): string {
  cachedInferenceVersion ??= `${codeVersion()}\0${readFileSync(path.join(__dirname, 'executors.json'), 'utf8')}`;
  return cachedInferenceVersion;
}

export function projectsFor(workspaceRoot: string): Projects {
  const text = readFileSync(path.join(workspaceRoot, CONFIG_PATH), 'utf8');
  const hash = createHash('sha256').update(`${inferenceVersion()}\0${text}`).digest('hex');
  const memoryKey = `${workspaceRoot}\0${hash}`;
  let inference = memoryCache.get(memoryKey);
  if (!inference) {
    const file = workspaceDataFile(workspaceRoot, 'local-dev-projects.json');
    inference = readKeyedCache<Inference>(file, hash);
    if (!inference) {
      inference = infer(workspaceRoot);
      writeKeyedCache(file, hash, inference);
    }
    memoryCache.set(memoryKey, inference);
  }
  return inference.projects;
}

export const createNodes: CreateNodes = [
  CONFIG_PATH,
  (configFiles, _options, context) =>
    configFiles.map((file) => {
      // Pure: a new service's project folder is written by the sync-project-folders generator, not here.
      return [file, { projects: projectsFor(context.workspaceRoot) }] as const;
    }),
];

/** Nx shows the message of an error thrown by a hook: a LocalDevError gets its message and fix, no stack. */
function cleanHookError(error: unknown): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isLocalDevError } = require('./src/core/errors') as typeof import('./src/core/errors');
  if (!isLocalDevError(error)) return error;
  const clean = new Error(`local-dev: ${error.describe()}`);
  clean.stack = clean.message;
  return clean;
}

/**
 * A run's record is for watching it, not part of it: one that logs/ refuses (read-only, full) is
 * said on stderr and the run goes on — a `down` must never need a record written before it frees.
 */
async function recordUnlessRefused(what: string, record: () => Promise<void>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isWriteRefused } = require('./src/core/lock') as typeof import('./src/core/lock');
  try {
    await record();
  } catch (error) {
    if (!isWriteRefused(error)) throw error;
    process.stderr.write(`⚠ local-dev: could not write ${what} (${(error as Error).message}); the run goes on without it\n`);
  }
}

/**
 * Before any task of a run: a --namespace that cannot be used stops the run with one message and
 * exit status 1 (src/plugin/pre-run.ts says why); then logs/progress.json says the run started
 * (src/core/run-record.ts). With the Nx daemon this runs inside the daemon: it reads nothing but
 * the context Nx passes.
 */
export const preTasksExecution: PreTasksExecution = async (_options, context) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { checkCommandLine } = require('./src/plugin/pre-run') as typeof import('./src/plugin/pre-run');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { recordRunStart } = require('./src/core/run-record') as typeof import('./src/core/run-record');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tightenWorkspacePrivateDirs } = require('./src/core/private-dir') as typeof import('./src/core/private-dir');
  try {
    checkCommandLine(context.workspaceRoot, context.argv);
    // Before anything writes in them: logs/ and .nx/local-dev/ hold what is derived from secrets.
    for (const refused of tightenWorkspacePrivateDirs(context.workspaceRoot)) process.stderr.write(`⚠ local-dev: ${refused}\n`);
    await recordUnlessRefused('the start of this run in logs/progress.json', () => recordRunStart(context.workspaceRoot, context.id, context.argv));
  } catch (error) {
    throw cleanHookError(error);
  }
};

/**
 * After the run's tasks: logs/run_metrics.json gets the run (per task: duration, cache hit,
 * result) and logs/progress.json its end. Cached tasks start no executor, so this is where their
 * cache hits are recorded.
 */
export const postTasksExecution: PostTasksExecution = async (_options, context) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { recordRunEnd } = require('./src/core/run-record') as typeof import('./src/core/run-record');
  try {
    await recordUnlessRefused('the end of this run in logs/ (progress.json, run_metrics.json, build_output.log)', () =>
      recordRunEnd(context.workspaceRoot, context.id, context.argv, context.taskResults, context.startTime, context.endTime),
    );
  } catch (error) {
    throw cleanHookError(error);
  }
};

/** The same function under the name older Nx versions look for. */
export const createNodesV2 = createNodes;
