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
import { configSchema, KNOWN_KEYS } from './schema';


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
  // Unknown keys alone should not hide the other mistakes: drop them and check the rules too.
  const withoutUnknownKeys = configSchema.safeParse(dropUnknownKeys(data, parsed.error.issues));
  const ruleProblems = withoutUnknownKeys.success ? checkRules(withoutUnknownKeys.data, { file, locate }) : [];
  throw new ConfigError([...schemaProblems, ...ruleProblems].sort((a, b) => a.line - b.line));
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
      return refuse(file, lineOf(unresolved, lineAt), `the alias *${unresolved.source} has no anchor &${unresolved.source} before it`, `define "&${unresolved.source}" earlier in the file, or write the value out`);
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
  if (p[0] === 'redis') return p.length === 3 && p[1] === 'namespaces' ? KNOWN_KEYS.redisNamespace : p.length === 1 ? KNOWN_KEYS.redis : [];
  // Stryker disable next-line ConditionalExpression: equivalent — only redis and services hold objects that can have unknown keys.
  if (p[0] !== 'services') return [];
  const last = p[p.length - 1];
  if (p.length === 2) return KNOWN_KEYS.service;
  if (p.length === 4 && p[2] === 'workers') return KNOWN_KEYS.worker;
  if (last === 'healthcheck') return KNOWN_KEYS.healthcheck;
  if (p.length === 4 && p[2] === 'configs') return KNOWN_KEYS.configFile;
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
  if (issue.code === 'invalid_union' && (settings === 'environment' || settings === 'build-args')) {
    return issue.input === null || issue.input === undefined
      ? `give it a value, or write ${String(key)}: "" for an empty one`
      : `quote it to pass it as text: ${String(key)}: '...'`;
  }
  return undefined;
}
