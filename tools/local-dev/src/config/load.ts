/**
 * Reading config.yaml: text → YAML document (with line numbers) → schema → rules → model.
 *
 * Every problem in the file is collected and reported together, each with its line and a fix,
 * as one ConfigError. The parse is cached by the file's content hash, so the Nx plugin and every
 * executor in a process pay for it once per distinct file content.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from '../core/did-you-mean';
import { ConfigError, type ConfigProblem } from '../core/errors';
import { normalizeConfig, type WorkspaceModel } from './model';
import { CONFIG_PATH } from './paths';
import { PORT_MAPPING_EXAMPLES } from './patterns';
export { CONFIG_PATH };
import { checkRules, type Locate } from './rules';
import { configSchema, KNOWN_KEYS, type RawConfig } from './schema';

const cache = new Map<string, WorkspaceModel>();

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Loads and validates the workspace's config.yaml. Throws ConfigError listing every problem. */
export function loadConfig(workspaceRoot: string, configPath = CONFIG_PATH): WorkspaceModel {
  const absolute = path.resolve(workspaceRoot, configPath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new ConfigError([{ file: configPath, line: 0, message: `${reason}`, fix: 'create it; see README.md "config.yaml reference"' }]);
  }
  return parseConfigText(text, configPath);
}

/** Parses config text (named `file` in messages). Pure apart from the content-hash cache. */
export function parseConfigText(text: string, file: string): WorkspaceModel {
  const key = `${file}\0${hashText(text)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const model = parseUncached(text, file);
  cache.set(key, model);
  return model;
}

function parseUncached(text: string, file: string): WorkspaceModel {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const yamlProblems = document.errors.map((error) => yamlErrorToProblem(error.code, error.message, lineAt(error.pos[0]), file));
  if (yamlProblems.length > 0) throw new ConfigError(yamlProblems);

  const locate = makeLocator(document, lineAt);
  const data = documentData(document, file, lineAt);
  const parsed = configSchema.safeParse(data, { reportInput: true });
  if (parsed.success) {
    const ruleProblems = checkRules(parsed.data, { file, locate });
    if (ruleProblems.length > 0) throw new ConfigError(ruleProblems);
    return normalizeConfig(parsed.data);
  }
  const schemaProblems = parsed.error.issues.flatMap((issue) => schemaIssueToProblems(issue, file, locate));
  // One problem must not hide another: the rules check every part of the file the schema did not refuse.
  const rest = checkableRest(data, parsed.error.issues);
  const ruleProblems = rest
    ? checkRules(rest.config, { file, locate: (yamlPath, part) => locate(rest.inFile(yamlPath), part), refused: rest.refused, refusedNames: rest.refusedNames })
    : [];
  throw new ConfigError([...schemaProblems, ...ruleProblems].sort((a, b) => a.line - b.line));
}

type YamlPath = (string | number)[];

/** The file without the parts the schema refused (see checkableRest), and how to map back to the file. */
interface CheckableRest {
  config: RawConfig;
  /** A path of `config` as it is in the file: list items left out shift the ones after them. */
  inFile: (yamlPath: readonly (string | number)[]) => YamlPath;
  refused: (yamlPath: readonly (string | number)[]) => boolean;
  refusedNames: string[];
}

/** Marks a list item to leave out, until the round's issues are all handled (indexes stay put meanwhile). */
const LEFT_OUT = Symbol('left out');

/**
 * A valid value in place of a refused or missing required one, so its owner stays checked (a
 * service's depends-on, a redis.namespaces key): a value no rule can object to — a plain file
 * name, a known mode — or, for a repo, one the only rule that reads it skips when refused.
 */
function standInFor(at: YamlPath): string | undefined {
  const [top, , field, , key] = at;
  if (top === 'services' && at.length === 3 && field === 'repo') return 'refused-repo';
  if (top === 'services' && at.length === 5 && field === 'configs' && (key === 'source' || key === 'dest')) return 'refused';
  if (top === 'redis' && at.length === 4 && at[1] === 'namespaces' && at[3] === 'mode') return 'tunnel';
  return undefined;
}

function valueAt(data: unknown, at: YamlPath): unknown {
  let value = data;
  // Through an item left out earlier in this round: gone with it (a symbol has no keys of ours).
  for (const segment of at) value = value === LEFT_OUT ? undefined : (value as Record<PropertyKey, unknown> | undefined)?.[segment];
  return value === LEFT_OUT ? undefined : value;
}

/** Each round leaves out at least one value and the schema nests a few levels deep: a bound, not a limit met. */
const MAX_ROUNDS = 12;

/**
 * What the rules can still check when the schema refused parts of the file (a dest with "..", a
 * port out of range): everything else. A refused value is left out, and the schema is asked
 * again; where the owner of a refused value cannot do without it (a config entry without its
 * dest), the owner goes in the next round, up to a whole service or worker, whose name stays
 * known (refusedNames) so a depends-on naming it is not called unknown; a few required values get
 * a stand-in instead (standInFor). undefined when nothing is left that the rules can read
 * (config.yaml is not a mapping).
 */
function checkableRest(data: unknown, issues: readonly z.core.$ZodIssue[]): CheckableRest | undefined {
  const current = dropUnknownKeys(data, issues);
  // Per list (by its path in the file): the file's indexes of the items still in `current`.
  const kept = new Map<string, number[]>();
  const refusedInFile: YamlPath[] = [];
  const refusedNames = new Set<string>();
  const inFile = (yamlPath: readonly (string | number)[]): YamlPath => {
    const mapped: YamlPath = [];
    for (const segment of yamlPath) mapped.push(typeof segment === 'number' ? (kept.get(JSON.stringify(mapped))?.[segment] ?? segment) : segment);
    return mapped;
  };
  const refused = (yamlPath: readonly (string | number)[]) => {
    const asked = inFile(yamlPath);
    // Refused itself, inside a refused value, or holding one.
    return refusedInFile.some((path) => startsWith(path, asked) || startsWith(asked, path));
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // With the input in each issue: a missing value is told apart from a refused one by it.
    const parsed = configSchema.safeParse(current, { reportInput: true });
    if (parsed.success) return { config: parsed.data, inFile, refused, refusedNames: [...refusedNames] };
    const marked = new Map<string, unknown[]>();
    let changed = false;
    for (const issue of parsed.error.issues) {
      // Stryker disable next-line ConditionalExpression: equivalent — parsed YAML has no symbol keys; the filter is for the type.
      const at = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
      refusedInFile.push(inFile(at));
      const standIn = standInFor(at);
      const owner = valueAt(current, at.slice(0, -1));
      if (standIn !== undefined && owner && typeof owner === 'object') {
        (owner as Record<string, unknown>)[at[at.length - 1]] = standIn;
        changed = true;
        continue;
      }
      // A required key that is missing (or refused, next round): its owner goes. Only `services` is required at the top.
      const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined;
      changed = leaveOut(current, missing && at.length > 1 ? at.slice(0, -1) : at, { inFile, marked, refusedNames }) || changed;
    }
    for (const [listPath, list] of marked) {
      const indexes = kept.get(listPath) ?? list.map((_, index) => index);
      kept.set(
        listPath,
        indexes.filter((_, index) => list[index] !== LEFT_OUT),
      );
      for (let index = list.length - 1; index >= 0; index--) if (list[index] === LEFT_OUT) list.splice(index, 1);
    }
    if (!changed) return undefined;
  }
  return undefined;
}

/** Takes the value at `at` out of `data`; false when there is nothing (left) to take. */
function leaveOut(data: unknown, at: YamlPath, round: { inFile: CheckableRest['inFile']; marked: Map<string, unknown[]>; refusedNames: Set<string> }): boolean {
  if (at.length === 0) return false;
  if (at.length === 1 && at[0] === 'services') {
    (data as Record<string, unknown>).services = {};
    return true;
  }
  const owner = valueAt(data, at.slice(0, -1));
  // Already gone with its owner, earlier in this round.
  if (!owner || typeof owner !== 'object') return false;
  const key = at[at.length - 1];
  if (Array.isArray(owner)) {
    owner[key as number] = LEFT_OUT;
    round.marked.set(JSON.stringify(round.inFile(at.slice(0, -1))), owner);
    return true;
  }
  const isService = at.length === 2 && at[0] === 'services';
  const isWorker = at.length === 4 && at[0] === 'services' && at[2] === 'workers';
  if (isService || isWorker) round.refusedNames.add(String(key));
  delete (owner as Record<string, unknown>)[key];
  return true;
}

function startsWith(path: readonly (string | number)[], prefix: readonly (string | number)[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);
}

/**
 * The document as plain data. Turning aliases (*name) into data is where the yaml package refuses
 * an alias bomb or an alias used before its anchor; it throws without a position, so the line is
 * the alias that starts the problem.
 */
function documentData(document: Document, file: string, lineAt: (offset: number) => number): unknown {
  try {
    return document.toJS() ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const aliases: Alias[] = [];
    visit(document, { Alias: (_key, alias) => void aliases.push(alias) });
    const unresolved = aliases.find((alias) => alias.resolve(document) === undefined);
    if (unresolved) {
      return refuse(
        file,
        lineOf(unresolved, lineAt),
        `the alias *${unresolved.source} has no anchor &${unresolved.source} before it`,
        `define "&${unresolved.source}" earlier in the file, or write the value out`,
      );
    }
    // The explosion starts where an alias points at something that itself contains aliases.
    const nested = aliases.find((alias) => containsAlias(alias.resolve(document))) ?? aliases[0];
    return refuse(
      file,
      nested ? lineOf(nested, lineAt) : 0,
      `YAML aliases (*name) expand to too much data, refused as an alias bomb (yaml: ${error.message})`,
      'write the values out instead of nesting aliases (*name) inside anchored values',
    );
  }
}

function refuse(file: string, line: number, message: string, fix: string): never {
  throw new ConfigError([{ file, line, message, fix }]);
}

function lineOf(node: Node, lineAt: (offset: number) => number): number {
  return node.range ? lineAt(node.range[0]) : 0;
}

function containsAlias(node: unknown): boolean {
  if (!isMap(node) && !isSeq(node)) return false;
  let found = false;
  visit(node, {
    Alias: () => {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

/** A copy of `data` without the keys the schema reported as unknown. */
function dropUnknownKeys(data: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(data);
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    let target: unknown = copy;
    for (const segment of issue.path) target = (target as Record<PropertyKey, unknown> | undefined)?.[segment];
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent — zod reports unknown keys only on an object it found at that path.
    if (target && typeof target === 'object') for (const key of issue.keys) delete (target as Record<string, unknown>)[key];
  }
  return copy;
}

function yamlErrorToProblem(code: string, message: string, line: number, file: string): ConfigProblem {
  if (code === 'DUPLICATE_KEY') {
    return { file, line, message: 'a key is defined twice (a duplicate service name?)', fix: 'rename or remove one of the two entries' };
  }
  // prettyErrors is off, so the message is one line without the position (the line is ours).
  return { file, line, message: `YAML syntax error: ${message}`, fix: 'check indentation (spaces, not tabs) and quoting on this line' };
}

/** Returns the line of a path in the document, falling back to the deepest part that exists. */
function makeLocator(document: Document, lineAt: (offset: number) => number): Locate {
  return (yamlPath, part = 'value') => {
    let node: unknown = document.contents;
    let line = 1;
    for (const [index, segment] of yamlPath.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return line;
        const keyNode = pair.key as Node;
        if (keyNode.range) line = lineAt(keyNode.range[0]);
        node = pair.value;
        // By position, not by name: a worker may be named like its owner (services.api.workers.api).
        if (part === 'key' && index === yamlPath.length - 1) return line;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return line;
      }
      const range = (node as Node | null)?.range;
      if (range) line = lineAt(range[0]);
    }
    return line;
  };
}

/** Which list of known keys applies at a YAML path, for "did you mean". */
function knownKeysAt(yamlPath: readonly PropertyKey[]): readonly string[] {
  const p = yamlPath.map(String);
  if (p.length === 0) return KNOWN_KEYS.top;
  if (p[0] === 'registry') return p.length === 1 ? KNOWN_KEYS.registry : [];
  if (p[0] === 'redis') return p.length === 3 && p[1] === 'namespaces' ? KNOWN_KEYS.redisNamespace : p.length === 1 ? KNOWN_KEYS.redis : [];
  // Stryker disable next-line ConditionalExpression: equivalent — only redis and services hold objects that can have unknown keys.
  if (p[0] !== 'services') return [];
  // The path inside one service (services.<s>.…) or one worker (services.<s>.workers.<w>.…), by
  // position: a worker may be named "live" or "healthcheck".
  const inWorker = p[2] === 'workers' && p.length >= 4;
  const inside = (inWorker ? p.slice(4) : p.slice(2)).map((segment) => (/^\d+$/.test(segment) ? '#' : segment)).join('.');
  if (inside === '') return inWorker ? KNOWN_KEYS.worker : KNOWN_KEYS.service;
  if (inside === 'healthcheck') return KNOWN_KEYS.healthcheck;
  if (inside === 'configs.#' && !inWorker) return KNOWN_KEYS.configFile;
  if (inside === 'live') return KNOWN_KEYS.live;
  if (inside === 'live.sync.#') return KNOWN_KEYS.liveSync;
  return [];
}

function schemaIssueToProblems(issue: z.core.$ZodIssue, file: string, locate: Locate): ConfigProblem[] {
  // Stryker disable next-line ConditionalExpression: equivalent — parsed YAML has no symbol keys; the filter is for the type.
  const yamlPath = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  const where = yamlPath.length > 0 ? yamlPath.join('.') : 'the file';
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(yamlPath);
    return issue.keys.map((key) => {
      const suggestion = didYouMean(key, known);
      return {
        file,
        line: locate([...yamlPath, key], 'key'),
        message: `unknown key "${key}" in ${where}`,
        fix: suggestion ? `did you mean "${suggestion}"?` : `known keys here: ${known.join(', ')}`,
      };
    });
  }
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined) {
    return [{ file, line: locate(yamlPath.slice(0, -1), 'key'), message: `${where} is missing`, fix: `add "${String(yamlPath[yamlPath.length - 1])}:"` }];
  }
  return [{ file, line: locate(yamlPath), message: `${where}: ${issue.message}`, fix: fixForIssue(issue, yamlPath) }];
}

const EXPECTED_WORDING: Record<string, string> = {
  array: 'a list, e.g. ["8000:8000"] or one "- item" per line',
  object: 'a mapping: "key: value" lines indented below this one',
  record: 'a mapping: "key: value" lines indented below this one',
  string: 'a text value',
  number: 'a number',
  boolean: 'true or false',
};

function fixForIssue(issue: z.core.$ZodIssue, yamlPath: readonly (string | number)[]): string | undefined {
  if (issue.code === 'invalid_type') return `write ${EXPECTED_WORDING[issue.expected] ?? issue.expected} here`;
  if (issue.code === 'invalid_value') return `write one of: ${issue.values.map(String).join(', ')}`;
  // The schema's own checks carry their fix (see checkedString in ./schema.ts).
  if (issue.code === 'custom' && typeof issue.params?.fix === 'string') return issue.params.fix;
  const [settings, key] = yamlPath.slice(-2);
  if (issue.code === 'invalid_union' && typeof key === 'number' && settings === 'ports') return `write it like ${PORT_MAPPING_EXAMPLES}`;
  if (issue.code === 'too_small' && settings === 'live' && key === 'sync')
    return 'add an entry such as { from: app/, to: /app/app/ }, or remove live: (no live mode)';
  if (issue.code === 'invalid_union' && (settings === 'environment' || settings === 'build-args')) {
    return issue.input === null || issue.input === undefined
      ? `give it a value, or write ${String(key)}: "" for an empty one`
      : `quote it to pass it as text: ${String(key)}: '...'`;
  }
  return undefined;
}
