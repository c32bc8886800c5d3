/**
 * The shape of repos_docker_files/config.yaml, as one zod schema.
 *
 * Every object is strict so a typo ("dependson", "port") is reported as an unknown key with a
 * "did you mean" instead of being silently ignored. Cross-field rules (cycles, clashing ports,
 * unknown dependencies) live in ./rules.ts; this file only says what a well-formed file looks like.
 */
import { z } from 'zod';

import { NAME_PATTERN, PORT_MAPPING_PATTERN } from './patterns';

export { NAME_PATTERN, PORT_MAPPING_PATTERN };

const name = z.string().regex(NAME_PATTERN, 'must be lower-case letters, digits and dashes, starting with a letter or digit');

const port = z.number().int().min(1).max(65535);


const PORT_MAPPING_HINT = 'must look like "8000:8000" (host:container), "8000" or "127.0.0.1:8000:8000"';
const portMapping = z.union([port, z.string().regex(PORT_MAPPING_PATTERN)], { error: PORT_MAPPING_HINT });

/** One object rather than a union, so a typo inside it gets a precise message; "http xor tcp" is a rule. */
const healthcheck = z.strictObject({
  http: z.string().startsWith('/', 'must be a path starting with "/", e.g. /health').optional(),
  tcp: port.optional(),
  port: port.optional(),
  timeout: z.number().positive().optional(),
});

const configFile = z.strictObject({
  source: z.string().min(1),
  dest: z.string().min(1),
  required: z.boolean().optional(),
});

const environment = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** What a worker may set: everything about running, nothing about the repo (it shares its owner's clone). */
const runSettings = {
  dockerfile: z.string().min(1).optional().describe('Dev Dockerfile name; looked up in repos_docker_files/<ns>/ first, then repos_docker_files/. Default <service>.dev.Dockerfile'),
  ports: z.array(portMapping).optional().describe('Published ports, compose short syntax: "host:container"'),
  'debug-port': port.optional().describe('Container port of a debugger; a unique host port is assigned'),
  environment: environment.optional().describe('Environment variables of the container'),
  'build-args': environment.optional().describe('Plain docker build args (never secrets)'),
  'build-secrets': z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')).optional(),
  healthcheck: healthcheck.optional().describe('Polled before dependents start: { http: /health } or { tcp: 8000 }, timeout in seconds'),
  'depends-on': z.array(z.string()).optional().describe('Services started (and healthy) before this one'),
};

export const workerSchema = z.strictObject(runSettings);

export const serviceSchema = z.strictObject({
  repo: z.string().min(1).describe('Any git URL, local path or file:// URL'),
  branch: z.string().min(1).optional().describe("Default: the remote's default branch"),
  dir: z.string().min(1).optional().describe('Folder under cloned/; default: repo basename without .git'),
  'always-refresh': z.boolean().optional().describe('Refresh this repo on every run, as if --refresh were given'),
  ...runSettings,
  configs: z.array(configFile).optional().describe('Files injected into the clone from configs/<ns>/'),
  workers: z.record(z.string(), workerSchema.nullable()).optional().describe("Services built from this service's clone"),
});

export const configSchema = z.strictObject({
  network: name.optional().describe('Shared Docker network; default oh-network'),
  'default-namespace': z.string().optional().describe('Namespace used when --namespace is not given; default s1'),
  redis: z
    .strictObject({
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
    .describe('The tunnel: kubectl -n <ns> port-forward deployment/<deployment> <port>:<port>'),
  services: z.record(z.string(), serviceSchema),
});

export type RawConfig = z.infer<typeof configSchema>;
export type RawService = z.infer<typeof serviceSchema>;
export type RawWorker = z.infer<typeof workerSchema>;

/** Every key the schema knows at each level, for "did you mean" suggestions on unknown keys. */
export const KNOWN_KEYS = {
  top: Object.keys(configSchema.shape),
  redis: ['deployment', 'port', 'required'],
  service: Object.keys(serviceSchema.shape),
  worker: Object.keys(workerSchema.shape),
  configFile: Object.keys(configFile.shape),
  healthcheck: Object.keys(healthcheck.shape),
};
