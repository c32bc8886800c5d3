/**
 * The pure part of the service and worker generators: config.yaml's text in, config.yaml's text
 * out, with the new entry added through yaml's Document API so the user's comments, key order,
 * blank lines and anchors stay exactly as they were. The result is validated by the very loader
 * a run uses (schema and cross-field rules), so the generator can never write a config.yaml a run
 * would refuse: a clash of ports or names comes back as the run's own message, with its line.
 */
import { Document, isMap, isScalar, parseDocument, visit, type YAMLMap } from 'yaml';
import { ConfigError, UsageError } from '../../src/core/errors';
import { parseConfigText } from '../../src/config/load';
import { CONFIG_PATH } from '../../src/config/paths';
import type { WorkspaceModel } from '../../src/config/model';

export interface NewService {
  name: string;
  /** Set for a worker: the service whose clone it is built from. */
  workerOf?: string;
  repo?: string;
  branch?: string;
  ports: string[];
  debugPort?: number;
  /** An HTTP path the healthcheck asks (needs a port). */
  healthPath?: string;
  /** Injected files, `configs/<ns>/<source>` → `<dest>` in the clone; all required. */
  configs: { source: string; dest: string }[];
}

/** The entry as it will read in config.yaml (keys in the order the README documents them). */
export function serviceEntry(service: NewService): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  if (!service.workerOf) entry.repo = service.repo;
  if (service.branch && !service.workerOf) entry.branch = service.branch;
  if (service.ports.length > 0) entry.ports = service.ports;
  if (service.debugPort !== undefined) entry['debug-port'] = service.debugPort;
  if (service.healthPath) entry.healthcheck = { http: service.healthPath };
  if (service.configs.length > 0 && !service.workerOf) {
    entry.configs = service.configs.map((file) => ({ source: `configs/${file.source}`, dest: file.dest, required: true }));
  }
  return entry;
}

/**
 * config.yaml with `service` added, and the model a run would read from it. Throws what a run would say.
 * The Document API finds where the entry goes and renders it; the entry's text is then spliced into
 * the file at that point, so every byte the user wrote (comments, their spacing, quotes, anchors)
 * stays as it was.
 */
export function addServiceToConfig(text: string, service: NewService): { text: string; model: WorkspaceModel } {
  const document = parseDocument(text);
  if (document.errors.length > 0) parseConfigText(text, CONFIG_PATH); // the run's own message for a broken file
  const services = document.get('services', true);
  if (!isMap(services) || services.items.length === 0) {
    throw new UsageError(`${CONFIG_PATH} has no services: map to add ${service.name} to`, { fix: 'add a top-level "services:" key with at least one service' });
  }
  let updated: string;
  if (service.workerOf) {
    const owner = services.get(service.workerOf, true);
    if (!isMap(owner)) {
      const names = services.items.map((item) => String(isScalar(item.key) ? item.key.value : item.key)).join(', ');
      throw new UsageError(`--worker-of ${service.workerOf}: no such service in ${CONFIG_PATH}`, { fix: `name one of: ${names}` });
    }
    const workers = owner.get('workers', true);
    if (isMap(workers) && workers.items.length > 0) {
      refuseTaken(workers, service.name);
      updated = spliceAtEnd(text, workers, renderEntry(service.name, serviceEntry(service)));
    } else {
      if (workers !== undefined)
        throw new UsageError(`${service.workerOf}'s workers: in ${CONFIG_PATH} is empty or not a map`, {
          fix: 'remove the empty "workers:" key, then run the generator again',
        });
      updated = spliceAtEnd(text, owner, renderEntry('workers', { [service.name]: serviceEntry(service) }));
    }
  } else {
    refuseTaken(services, service.name);
    // A blank line before a new service, as between the existing ones.
    updated = spliceAtEnd(text, services, `\n${renderEntry(service.name, serviceEntry(service))}`);
  }
  try {
    return { text: updated, model: parseConfigText(updated, CONFIG_PATH) };
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new UsageError(`${service.name} cannot be added: the result would not pass a run's checks.\n${error.message}`, {
        fix: 'change the option the problem names (another --port, another name), then run the generator again',
      });
    }
    throw error;
  }
}

function refuseTaken(map: YAMLMap, name: string): void {
  if (map.has(name)) throw new UsageError(`${name} is already in ${CONFIG_PATH}`, { fix: 'choose another name, or edit its entry by hand' });
}

/** `key: value` as block YAML at column 0; lists in flow style with port mappings double-quoted, as the README writes them. */
function renderEntry(key: string, value: Record<string, unknown>): string {
  const document = new Document({ [key]: value });
  visit(document, {
    Seq(_key, node) {
      node.flow = true;
    },
    Scalar(_key, node) {
      if (typeof node.value === 'string' && /^[\d.]+(:[\d.]+)*(\/\w+)?$/.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return document.toString({ indent: 2, flowCollectionPadding: false });
}

/** `text` with `entry` (rendered at column 0) added as the last item of `map`, at the indentation of the map's keys. */
function spliceAtEnd(text: string, map: YAMLMap, entry: string): string {
  const end = map.range?.[1] ?? text.length;
  const firstKey = map.items[0]?.key;
  const keyStart = isScalar(firstKey) && firstKey.range ? firstKey.range[0] : end;
  const indent = ' '.repeat(keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1));
  const indented = entry
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => (line === '' ? line : `${indent}${line}`))
    .join('\n');
  const before = text.slice(0, end);
  return `${before}${before.endsWith('\n') ? '' : '\n'}${indented}\n${text.slice(end)}`;
}

/**
 * The lines of `after` that differ from `before`, as a unified-style hunk: enough to show an insertion
 * (what the generators make) on `--dry-run`, without a diff library.
 */
export function describeChange(file: string, before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const context = Math.max(0, start - 2);
  const lines = [`--- ${file}`, `+++ ${file}`, `@@ -${context + 1} +${context + 1} @@`];
  for (let index = context; index < start; index += 1) lines.push(` ${a[index]}`);
  for (let index = start; index < endA; index += 1) lines.push(`-${a[index]}`);
  for (let index = start; index < endB; index += 1) lines.push(`+${b[index]}`);
  for (let index = endA; index < Math.min(a.length, endA + 2); index += 1) lines.push(` ${a[index]}`);
  return lines.join('\n');
}
