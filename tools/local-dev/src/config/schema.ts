/**
 * The shape of repos_docker_files/config.yaml, as one zod schema.
 *
 * Every object is strict so a typo ("dependson", "port") is reported as an unknown key with a
 * "did you mean" instead of being silently ignored. Cross-field rules (cycles, clashing ports,
 * unknown dependencies) live in ./rules.ts; this file only says what a well-formed file looks like.
 */
import { z } from 'zod';

import {
  BRANCH_PATTERN,
  BRANCH_RULE,
  DEST_PATH_PATTERN,
  DEST_PATH_RULE,
  FOLDER_NAME_PATTERN,
  FOLDER_NAME_RULE,
  LIVE_FROM_PATTERN,
  LIVE_FROM_RULE,
  LIVE_GLOB_PATTERN,
  LIVE_GLOB_RULE,
  LIVE_TO_PATTERN,
  LIVE_TO_RULE,
  MAX_PORT,
  MIN_PORT,
  NAME_PATTERN,
  PORT_MAPPING_EXAMPLES,
  PORT_MAPPING_PATTERN,
  portMappingProblem,
  REPO_PATTERN,
  REPO_RULE,
  SAFE_PATH_PATTERN,
  SAFE_PATH_RULE,
  unsafeBranchReason,
  unsafeDestReason,
  unsafeFolderNameReason,
  unsafeLiveFromReason,
  unsafeLiveGlobReason,
  unsafeLiveToReason,
  unsafePathReason,
  unsafeRepoReason,
} from './patterns';
import { REGISTRY_URL_EXAMPLE, registryUrlProblem } from './registry';

export { NAME_PATTERN, PORT_MAPPING_PATTERN };

const name = z.string().regex(NAME_PATTERN, 'must be lower-case letters, digits and dashes, starting with a letter or digit');

const PORT_RANGE = `must be a port from ${MIN_PORT} to ${MAX_PORT}`;
const port = z.number().int(PORT_RANGE).min(MIN_PORT, PORT_RANGE).max(MAX_PORT, PORT_RANGE);

/**
 * A string checked by `reason` (from ./patterns), whose pattern also goes into config.schema.json.
 * Each refusal carries its fix in `params.fix`, which load.ts prints.
 */
function checkedString(pattern: RegExp, reason: (value: string) => string | undefined, rule: string, example: string) {
  return z
    .string()
    .superRefine((value, context) => {
      const why = reason(value);
      if (why !== undefined) context.addIssue({ code: 'custom', message: `"${value}" ${why}; allowed: ${rule}`, params: { fix: `write it like ${example}` } });
    })
    .meta({ pattern: pattern.source });
}

const safePath = (example: string) => checkedString(SAFE_PATH_PATTERN, unsafePathReason, SAFE_PATH_RULE, example);

const portSpec = z
  .string()
  .superRefine((value, context) => {
    const problem = portMappingProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem.problem, params: { fix: problem.fix } });
  })
  .meta({ pattern: PORT_MAPPING_PATTERN.source });
// A list or a mapping where a port goes: say what a port looks like, not zod's bare "Invalid input".
const portMapping = z.union([port, portSpec], { error: (issue) => `must be a port mapping such as "8000:8000", not ${describeValue(issue.input)}` });

/** One object rather than a union, so a typo inside it gets a precise message; "http xor tcp" is a rule. */
const healthcheck = z.strictObject({
  http: z.string().startsWith('/', 'must be a path starting with "/", e.g. /health').optional(),
  tcp: port.optional(),
  port: port.optional(),
  timeout: z.number().positive().optional(),
});

const configFile = z.strictObject({
  source: safePath('configs/health_secrets.py').describe(`File under configs/<ns>/ (a leading "configs/" is optional). Allowed: ${SAFE_PATH_RULE}`),
  dest: checkedString(DEST_PATH_PATTERN, unsafeDestReason, DEST_PATH_RULE, 'app/app/secrets.py').describe(
    `Where the file goes, relative to the clone's root. Allowed: ${DEST_PATH_RULE}`,
  ),
  required: z.boolean().optional(),
});

/** Plain values only: a mapping, a list or an empty value here is almost always a quoting mistake. */
const ENVIRONMENT_VALUE_RULE = 'must be a string, number or boolean';
const environmentValue = z.union([z.string(), z.number(), z.boolean()], {
  error: (issue) => `${ENVIRONMENT_VALUE_RULE}, not ${describeValue(issue.input)}`,
});
const environment = z.record(z.string(), environmentValue);

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : typeof value;
}

/**
 * Live code (the dev target): which clone paths reach which container paths, and what follows a
 * sync. The path rules are ./patterns.ts's, so a sync can never read outside the clone nor write
 * outside its `to`.
 */
const liveSync = z.strictObject({
  from: checkedString(LIVE_FROM_PATTERN, unsafeLiveFromReason, LIVE_FROM_RULE, 'app/ or . (the whole clone)').describe(
    `A folder or file in the clone. Allowed: ${LIVE_FROM_RULE}`,
  ),
  to: checkedString(LIVE_TO_PATTERN, unsafeLiveToReason, LIVE_TO_RULE, '/app/app/').describe(`Where it goes in the container. Allowed: ${LIVE_TO_RULE}`),
});
const liveGlob = (example: string) => checkedString(LIVE_GLOB_PATTERN, unsafeLiveGlobReason, LIVE_GLOB_RULE, example);
const live = z.strictObject({
  sync: z.array(liveSync).min(1, 'needs at least one { from, to }').describe('Paths in the clone → paths in the container'),
  restart: z.boolean().optional().describe("true: restart the container's process after a sync; false (default): the app reloads itself"),
  'rebuild-on': z
    .array(liveGlob('requirements.txt or go.mod'))
    .optional()
    .describe('Clone paths (globs) whose change needs a new image: rebuilt and started as `up` does'),
  ignore: z.array(liveGlob('**/*.pyc')).optional().describe('Clone paths (globs) never synced, beyond .git, node_modules and the files local-dev injects'),
});

/** What a worker may set: everything about running, nothing about the repo (it shares its owner's clone). */
const runSettings = {
  dockerfile: safePath('api.dev.Dockerfile')
    .optional()
    .describe(
      `Dev Dockerfile name; looked up in repos_docker_files/<ns>/ first, then repos_docker_files/. Default <service>.dev.Dockerfile. Allowed: ${SAFE_PATH_RULE}`,
    ),
  ports: z.array(portMapping).optional().describe(`Published ports, compose short syntax: ${PORT_MAPPING_EXAMPLES}; ports ${MIN_PORT}–${MAX_PORT}`),
  'debug-port': port.optional().describe('Container port of a debugger; a unique host port is assigned'),
  environment: environment.optional().describe('Environment variables of the container'),
  'build-args': environment.optional().describe('Plain docker build args (never secrets)'),
  'build-secrets': z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')).optional(),
  healthcheck: healthcheck.optional().describe('Polled before dependents start: { http: /health } or { tcp: 8000 }, timeout in seconds'),
  'depends-on': z.array(z.string()).optional().describe('Services started (and healthy) before this one'),
  live: live.optional().describe('Live code for `nx run <service>:dev`: clone paths synced into the running container, without an image rebuild'),
};

export const workerSchema = z.strictObject(runSettings);

export const serviceSchema = z.strictObject({
  repo: checkedString(REPO_PATTERN, unsafeRepoReason, REPO_RULE, 'git@github.com:company/health-api.git').describe(
    'Any git URL, local path or file:// URL; not starting with "-", no "<helper>::" remote helpers (ext:: runs commands)',
  ),
  branch: checkedString(BRANCH_PATTERN, unsafeBranchReason, BRANCH_RULE, 'main or feature/login-form')
    .optional()
    .describe(`Default: the remote's default branch. Allowed: ${BRANCH_RULE}`),
  dir: checkedString(FOLDER_NAME_PATTERN, unsafeFolderNameReason, FOLDER_NAME_RULE, 'health-api')
    .optional()
    .describe(`Folder under cloned/; default: repo basename without .git. Allowed: ${FOLDER_NAME_RULE}`),
  'always-refresh': z.boolean().optional().describe('Refresh this repo on every run, as if --refresh were given'),
  ...runSettings,
  configs: z.array(configFile).optional().describe('Files injected into the clone from configs/<ns>/'),
  workers: z.record(z.string(), workerSchema.nullable()).optional().describe("Services built from this service's clone"),
});

/** Where Redis comes from: the namespace's Redis through kubectl, or a redis-server on this machine. */
export const REDIS_MODES = ['tunnel', 'local'] as const;
// A missing value keeps zod's own issue, which load.ts reports as "… is missing".
const redisMode = z.enum(REDIS_MODES, { error: (issue) => (issue.input === undefined ? undefined : `must be one of: ${REDIS_MODES.join(', ')}`) });
const REDIS_MODE_DESCRIPTION =
  "tunnel (default): kubectl -n <ns> port-forward deployment/<deployment>, the namespace's Redis in the cluster. local: a redis-server on this machine, started and supervised by local-dev (empty at every start, nothing saved); no cluster needed";
const redisNamespace = z.strictObject({ mode: redisMode.describe(REDIS_MODE_DESCRIPTION) });

const registryUrl = z.string().superRefine((value, context) => {
  const why = registryUrlProblem(value);
  if (why !== undefined) context.addIssue({ code: 'custom', message: `"${value}" ${why}`, params: { fix: `write it like ${REGISTRY_URL_EXAMPLE}` } });
});
const registry = z.strictObject({
  url: registryUrl.describe('host:port/path of the registry, no scheme; images are <url>/<service>:<portable hash>'),
  push: z.boolean().optional().describe('true: push what this machine builds, in the background. false (default): only pull'),
});

export const configSchema = z.strictObject({
  network: name.optional().describe('Shared Docker network; default oh-network'),
  'default-namespace': z.string().optional().describe('Namespace used when --namespace is not given; default s1'),
  redis: z
    .strictObject({
      mode: redisMode.optional().describe(REDIS_MODE_DESCRIPTION),
      namespaces: z
        .record(z.string(), redisNamespace)
        .optional()
        .describe('Per-namespace choice that overrides mode, e.g. { qa: { mode: local } }; keys are folders under configs/'),
      deployment: z.string().min(1).optional(),
      port: port.optional(),
      required: z
        .boolean()
        .optional()
        .describe(
          'true: a Redis tunnel that is not healthy stops the run (strict). false (default): the tunnel is best effort; services start anyway and the tunnel problem is reported',
        ),
    })
    .optional()
    .describe('Where services find Redis (REDIS_HOST/REDIS_PORT): the kubectl tunnel, or a local redis-server (mode)'),
  registry: registry
    .optional()
    .describe(
      "The team's image registry: images built from the same inputs are pulled instead of built (credentials through `docker login`; LOCAL_DEV_REGISTRY and LOCAL_DEV_REGISTRY_PUSH override it, for CI)",
    ),
  services: z.record(z.string(), serviceSchema),
});

export type RawConfig = z.infer<typeof configSchema>;
export type RawService = z.infer<typeof serviceSchema>;
export type RawWorker = z.infer<typeof workerSchema>;

/** Every key the schema knows at each level, for "did you mean" suggestions on unknown keys. */
export const KNOWN_KEYS = {
  top: Object.keys(configSchema.shape),
  redis: ['mode', 'namespaces', 'deployment', 'port', 'required'],
  redisNamespace: Object.keys(redisNamespace.shape),
  service: Object.keys(serviceSchema.shape),
  worker: Object.keys(workerSchema.shape),
  configFile: Object.keys(configFile.shape),
  healthcheck: Object.keys(healthcheck.shape),
  live: Object.keys(live.shape),
  liveSync: Object.keys(liveSync.shape),
  registry: Object.keys(registry.shape),
};
