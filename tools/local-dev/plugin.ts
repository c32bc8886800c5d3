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
import type { CreateNodes, CreateNodesResult } from '@nx/devkit';
import { CONFIG_PATH } from './src/config/paths';
import { readKeyedCache, workspaceDataFile, writeKeyedCache } from './src/core/keyed-cache';
import { ensureProjectFolders } from './src/plugin/project-folders';

type Projects = NonNullable<CreateNodesResult['projects']>;

/** Source files whose change must invalidate the disk cache (the inference itself). */
const INFERENCE_SOURCES = ['src/plugin/infer.ts', 'src/config/model.ts', 'src/config/rules.ts', 'src/config/schema.ts', 'src/config/patterns.ts', 'src/config/load.ts'];
const memoryCache = new Map<string, Projects>();

function computeProjects(workspaceRoot: string): Projects {
  // Lazy on purpose: the parser is only needed when the config changed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadConfig } = require('./src/config/load') as typeof import('./src/config/load');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { inferProjects } = require('./src/plugin/infer') as typeof import('./src/plugin/infer');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isLocalDevError } = require('./src/core/errors') as typeof import('./src/core/errors');
  try {
    return inferProjects(loadConfig(workspaceRoot));
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
/** Changes whenever the inference code changes, so a disk cache never outlives the code that made it. */
function inferenceVersion(): string {
  cachedInferenceVersion ??= INFERENCE_SOURCES.map((file) => readFileSync(path.join(__dirname, file), 'utf8')).join('\0');
  return cachedInferenceVersion;
}

export function projectsFor(workspaceRoot: string): Projects {
  const text = readFileSync(path.join(workspaceRoot, CONFIG_PATH), 'utf8');
  const hash = createHash('sha256').update(`${inferenceVersion()}\0${text}`).digest('hex');
  const memoryKey = `${workspaceRoot}\0${hash}`;
  const inMemory = memoryCache.get(memoryKey);
  if (inMemory) return inMemory;
  const file = workspaceDataFile(workspaceRoot, 'local-dev-projects.json');
  let projects = readKeyedCache<Projects>(file, hash);
  if (!projects) {
    projects = computeProjects(workspaceRoot);
    writeKeyedCache(file, hash, projects);
  }
  memoryCache.set(memoryKey, projects);
  return projects;
}

export const createNodes: CreateNodes = [
  CONFIG_PATH,
  (configFiles, _options, context) =>
    configFiles.map((file) => {
      const projects = projectsFor(context.workspaceRoot);
      const created = ensureProjectFolders(context.workspaceRoot, projects);
      if (created.length > 0) {
        // Nx has already listed the workspace's files for this command, so it may still say
        // "project … not found" once; the next command sees the new folder.
        process.stderr.write(
          `local-dev: created ${created.map((root) => `${root}/`).join(', ')} for new services in ${CONFIG_PATH} — commit them; if Nx says "project … not found", run the command again.\n`,
        );
      }
      return [file, { projects }] as const;
    }),
];

/** The same function under the name older Nx versions look for. */
export const createNodesV2 = createNodes;
