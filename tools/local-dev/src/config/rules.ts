/**
 * Cross-field rules for config.yaml: what a schema cannot say. Each rule is a small pure function
 * from the schema-valid config to a list of problems; all rules run and all problems are reported,
 * also beside the schema's own (on what is left of the file without the values it refused).
 */
import * as path from 'node:path';
import { didYouMean } from '../core/did-you-mean';
import type { ConfigProblem } from '../core/errors';
import { defaultCloneDir, namespaceRelativeSource, normalizeLiveSync, parsePortMapping } from './model';
import type { RawConfig, RawWorker } from './schema';
import { FOLDER_NAME_PATTERN, NAME_PATTERN } from './patterns';

/** Finds the line of a path in the YAML file (the key's line when `key` is set). */
export type Locate = (yamlPath: readonly (string | number)[], part?: 'key' | 'value') => number;

export interface RuleContext {
  file: string;
  locate: Locate;
  /**
   * When the schema refused parts of the file, the rules still check the rest (load.ts leaves the
   * refused values out): whether the value at a path, or anything in it, was refused. A rule that
   * would read a refused value says nothing of it (the schema's problem says it), rather than
   * judging the file without it.
   */
  refused?: (yamlPath: readonly (string | number)[]) => boolean;
  /** Services and workers whose whole entry was refused: their names are still defined. */
  refusedNames?: readonly string[];
}

function isRefused(context: RuleContext, yamlPath: readonly (string | number)[]): boolean {
  return context.refused?.(yamlPath) ?? false;
}

/** Project names the plugin uses for the shared pieces; a service may not take them. */
export const RESERVED_NAMES = ['redis-tunnel', 'docker-compose', 'stack'];

type Rule = (config: RawConfig, context: RuleContext) => ConfigProblem[];

interface Runnable {
  name: string;
  /** YAML path of the service or worker entry. */
  at: (string | number)[];
  settings: RawWorker;
}

function runnables(config: RawConfig): Runnable[] {
  return Object.entries(config.services).flatMap(([name, service]) => [
    { name, at: ['services', name], settings: service },
    ...Object.entries(service.workers ?? {}).map(([workerName, worker]) => ({
      name: workerName,
      at: ['services', name, 'workers', workerName],
      settings: worker ?? {},
    })),
  ]);
}

const names: Rule = (config, { file, locate }) => {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const { name, at } of runnables(config)) {
    const line = locate(at, 'key');
    if (!NAME_PATTERN.test(name)) {
      problems.push({
        file,
        line,
        message: `service name "${name}" is not a valid name`,
        fix: 'use lower-case letters, digits and dashes (it becomes a Docker hostname and an Nx project name)',
      });
    }
    if (RESERVED_NAMES.includes(name)) {
      problems.push({
        file,
        line,
        message: `"${name}" is reserved for local-dev's own project`,
        fix: `rename the service (reserved: ${RESERVED_NAMES.join(', ')})`,
      });
    }
    const earlier = seen.get(name);
    if (earlier) {
      problems.push({
        file,
        line,
        message: `"${name}" is defined twice (also at ${earlier})`,
        fix: 'service and worker names share one namespace: rename one of them',
      });
    } else {
      seen.set(name, `${at.length > 2 ? 'worker' : 'service'} at line ${line}`);
    }
  }
  return problems;
};

const dependencies: Rule = (config, { file, locate, refusedNames = [] }) => {
  const problems: ConfigProblem[] = [];
  const all = runnables(config);
  const known = [...all.map((runnable) => runnable.name), ...refusedNames];
  const graph = new Map<string, string[]>();
  for (const { name, at, settings } of all) {
    const dependsOn = settings['depends-on'] ?? [];
    dependsOn.forEach((dependency, index) => {
      const line = locate([...at, 'depends-on', index]);
      if (dependency === name) {
        problems.push({ file, line, message: `${name} depends on itself`, fix: `remove "${dependency}" from its depends-on` });
      } else if (!known.includes(dependency)) {
        const suggestion = didYouMean(dependency, known);
        problems.push({
          file,
          line,
          message: `${name} depends on "${dependency}", which is not a service`,
          fix: suggestion ? `did you mean "${suggestion}"?` : `name one of: ${known.join(', ')}`,
        });
      }
    });
    graph.set(
      name,
      dependsOn.filter((dependency) => dependency !== name && known.includes(dependency)),
    );
  }
  for (const cycle of findCycles(graph)) {
    const first = all.find((runnable) => runnable.name === cycle[0]);
    problems.push({
      file,
      line: first ? locate([...first.at, 'depends-on'], 'key') : 0,
      message: `depends-on forms a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
      fix: 'remove one of these depends-on entries; services cannot wait for each other',
    });
  }
  return problems;
};

/** Each cycle once, starting at its alphabetically first member. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join('>'), rotated);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return [...cycles.values()];
}

const hostPorts: Rule = (config, context) => {
  const { file, locate } = context;
  const problems: ConfigProblem[] = [];
  const redisPort = config.redis?.port ?? 6379;
  // A refused redis.port is not the default 6379: which port Redis takes is not known.
  const owners = new Map<string, string>(isRefused(context, ['redis', 'port']) ? [] : [[`tcp/${redisPort}`, 'Redis (redis.port)']]);
  for (const { name, at, settings } of runnables(config)) {
    (settings.ports ?? []).forEach((raw, index) => {
      const mapping = parsePortMapping(raw);
      const key = `${mapping.protocol}/${mapping.host}`;
      const holder = owners.get(key);
      if (holder) {
        problems.push({
          file,
          line: locate([...at, 'ports', index]),
          message: `host port ${mapping.host} of ${name} is already published by ${holder}`,
          fix: `publish ${name} on another host port, e.g. "${mapping.host + 1}:${mapping.container}"`,
        });
      } else {
        owners.set(key, name);
      }
    });
  }
  return problems;
};

const healthchecks: Rule = (config, context) =>
  runnables(config).flatMap(({ name, at, settings }): ConfigProblem[] => {
    const { file, locate } = context;
    const check = settings.healthcheck;
    if (!check) return [];
    const line = locate([...at, 'healthcheck'], 'key');
    const refused = (...yamlPath: string[]) => isRefused(context, [...at, ...yamlPath]);
    if (refused('healthcheck', 'http') || refused('healthcheck', 'tcp')) return [];
    if ((check.http === undefined) === (check.tcp === undefined)) {
      return [{ file, line, message: `healthcheck of ${name} must have exactly one of http or tcp`, fix: 'write { http: /health } or { tcp: 8000 }' }];
    }
    if (check.http !== undefined && check.port === undefined && (settings.ports ?? []).length === 0 && !refused('healthcheck', 'port') && !refused('ports')) {
      return [
        { file, line, message: `healthcheck of ${name} polls HTTP but the service publishes no port`, fix: 'add "port: <container port>" to the healthcheck' },
      ];
    }
    return [];
  });

/**
 * The schema keeps these paths inside their folder (./patterns.ts); what it cannot see is a path
 * that names the folder itself or ends in "/", where a file is meant.
 */
export function namesAFile(value: string): boolean {
  const normalized = path.posix.normalize(value);
  return normalized !== '.' && !normalized.endsWith('/');
}

const filePaths: Rule = (config, { file, locate }) =>
  runnables(config).flatMap(({ name, at, settings }) => {
    const folderProblem = (written: string, asFile: string, where: (string | number)[], example: string): ConfigProblem[] =>
      namesAFile(asFile)
        ? []
        : [
            {
              file,
              line: locate(where),
              message: `${String(where[where.length - 1])} "${written}" of ${name} names a folder, not a file`,
              fix: `name the file, e.g. ${example}`,
            },
          ];
    const configs = at.length === 2 ? (config.services[name].configs ?? []) : [];
    return [
      ...(settings.dockerfile === undefined ? [] : folderProblem(settings.dockerfile, settings.dockerfile, [...at, 'dockerfile'], `${name}.dev.Dockerfile`)),
      ...configs.flatMap((entry, index) => [
        // "configs/x" and "x" both mean configs/<ns>/x, so "configs/" alone is the namespace folder.
        ...folderProblem(entry.source, namespaceRelativeSource(entry.source), [...at, 'configs', index, 'source'], 'configs/health_secrets.py'),
        ...folderProblem(entry.dest, entry.dest, [...at, 'configs', index, 'dest'], 'app/app/secrets.py'),
      ]),
    ];
  });

const cloneDirs: Rule = (config, context) => {
  const { file, locate } = context;
  const problems: ConfigProblem[] = [];
  const byDir = new Map<string, { name: string; repo: string }>();
  for (const [name, service] of Object.entries(config.services)) {
    // The folder is unknown when dir was refused, or when it would come from a refused repo.
    if (isRefused(context, ['services', name, 'dir']) || (service.dir === undefined && isRefused(context, ['services', name, 'repo']))) continue;
    const dir = service.dir ?? defaultCloneDir(service.repo);
    const line = locate(['services', name, service.dir ? 'dir' : 'repo']);
    if (!isPlainFolderName(dir)) {
      problems.push({
        file,
        line,
        message: `clone folder "${dir}" of ${name} is not a plain folder name`,
        fix: 'set "dir:" to a name like health-api (no slashes, starting with a letter or digit)',
      });
      continue;
    }
    const earlier = byDir.get(dir);
    if (earlier) {
      const sameRepo = earlier.repo === service.repo;
      problems.push({
        file,
        line,
        message: `${name} and ${earlier.name} both clone into cloned/${dir}/`,
        fix: sameRepo ? `make ${name} a worker of ${earlier.name} (workers share their owner's clone)` : `give one of them another "dir:"`,
      });
    } else {
      byDir.set(dir, { name, repo: service.repo });
    }
  }
  return problems;
};

const defaultNamespace: Rule = (config, { file, locate }) => {
  const value = config['default-namespace'];
  if (value === undefined || isPlainFolderName(value)) return [];
  return [
    {
      file,
      line: locate(['default-namespace']),
      message: `default-namespace "${value}" is not a plain folder name`,
      fix: 'use the name of a folder under configs/, e.g. s1',
    },
  ];
};

export function isPlainFolderName(value: string): boolean {
  return FOLDER_NAME_PATTERN.test(value);
}

/** redis.namespaces keys name folders under configs/, like --namespace does. */
const redisNamespaces: Rule = (config, { file, locate }) =>
  Object.keys(config.redis?.namespaces ?? {})
    .filter((namespace) => !isPlainFolderName(namespace))
    .map((namespace) => ({
      file,
      line: locate(['redis', 'namespaces', namespace], 'key'),
      message: `redis.namespaces: "${namespace}" is not a plain folder name`,
      fix: 'use the name of a folder under configs/, e.g. s1',
    }));

/**
 * Two live.sync entries of one service writing to the same container path: one would overwrite
 * the other's files, in whichever order a burst happens to list them. Compared as the planner sees
 * them ("/app/" is "/app", "." is "./"). A `from` naming an injected file is fine: the planner never
 * syncs injected files, whatever the entry says.
 */
const liveSyncTargets: Rule = (config, context) =>
  runnables(config).flatMap(({ name, at, settings }) => {
    const { file, locate } = context;
    const problems: ConfigProblem[] = [];
    const byTarget = new Map<string, { from: string; written: string; line: number }>();
    (settings.live?.sync ?? []).forEach((entry, index) => {
      if (isRefused(context, [...at, 'live', 'sync', index])) return;
      const { from, to } = normalizeLiveSync(entry);
      const line = locate([...at, 'live', 'sync', index]);
      const earlier = byTarget.get(to);
      if (!earlier) {
        byTarget.set(to, { from, written: entry.from, line });
        return;
      }
      problems.push(
        earlier.from === from
          ? {
              file,
              line,
              message: `live.sync of ${name} syncs "${entry.from}" to ${to} twice (also at line ${earlier.line})`,
              fix: 'remove one of the two entries',
            }
          : {
              file,
              line,
              message: `live.sync of ${name} syncs both "${earlier.written}" (line ${earlier.line}) and "${entry.from}" to ${to}: one would overwrite the other`,
              fix: `give "${entry.from}" its own "to", or sync the folder that holds both`,
            },
      );
    });
    return problems;
  });

const RULES: Rule[] = [names, dependencies, hostPorts, healthchecks, filePaths, cloneDirs, defaultNamespace, redisNamespaces, liveSyncTargets];

export function checkRules(config: RawConfig, context: RuleContext): ConfigProblem[] {
  return RULES.flatMap((rule) => rule(config, context));
}
