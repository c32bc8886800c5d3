/**
 * What goes into a service's build context: the clone's files, less what the ignore file in effect
 * excludes — read with Docker's own rules (moby/patternmatcher, as `docker build` and BuildKit apply
 * them), so local-dev knows BEFORE a build whether an injected secret file would be sent.
 *
 * The rules, as Docker documents and implements them:
 *   - a line starting with `#` is a comment; lines are trimmed; empty lines are skipped;
 *   - `!` makes an exception (re-includes); the LAST pattern that matches a path decides;
 *   - patterns are cleaned like paths (`./a/../b` is `b`, a trailing `/` goes) and a leading `/`
 *     is dropped: every pattern is relative to the context root;
 *   - `*` is any run of characters but `/`, `?` one character but `/`, `[…]` a class, `\` escapes;
 *     `**` any number of folders (zero included);
 *   - a pattern matching a folder excludes everything below it (a path matches when it or any of
 *     its parent folders matches).
 * Which ignore file is in effect: with BuildKit, `<Dockerfile>.dockerignore` next to the Dockerfile
 * when it exists, else the context's `.dockerignore`; the legacy builder reads only the latter.
 *
 * The matcher is pure; `contextFiles` and `ignoreFileInEffect` are the thin layer that reads disk.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { readTextIfExists } from '../core/read-if-exists';

export type Builder = 'buildkit' | 'legacy';

interface Pattern {
  exclusion: boolean;
  regex: RegExp;
}

/** Pure: the patterns of an ignore file, as Docker reads them (ignorefile.ReadAll). */
export function readIgnorePatterns(text: string): string[] {
  const patterns: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line) => {
      if (line.startsWith('#')) return;
      let pattern = line.trim();
      if (pattern === '') return;
      const invert = pattern.startsWith('!');
      if (invert) pattern = pattern.slice(1).trim();
      if (pattern !== '') {
        pattern = path.posix.normalize(pattern).replace(/\/+$/, '');
        if (pattern === '') pattern = '/';
        if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
        if (pattern.startsWith('./')) pattern = pattern.slice(2);
      }
      patterns.push(invert ? `!${pattern}` : pattern);
    });
  return patterns;
}

const REGEX_SPECIAL = new Set(['.', '$', '+', '(', ')', '{', '}', '^', '|']);

/** Pure: one pattern as the regular expression moby's patternmatcher compiles it to. */
export function patternRegex(pattern: string): RegExp {
  let source = '^';
  const chars = [...pattern];
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index];
    if (char === '*') {
      if (chars[index + 1] === '*') {
        index++;
        // "**/" is "**": the slash is eaten.
        if (chars[index + 1] === '/') index++;
        source += index + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (REGEX_SPECIAL.has(char)) {
      source += `\\${char}`;
    } else if (char === '\\') {
      // Escapes the next character; a trailing backslash stands for itself.
      const next = chars[index + 1];
      if (next === undefined) source += '\\\\';
      else {
        source += /[A-Za-z0-9_]/.test(next) ? next : `\\${next}`;
        index++;
      }
    } else {
      source += char;
    }
  }
  return new RegExp(`${source}$`, 's');
}

/** Pure: a function telling whether a context-relative path (posix, no leading "./") is excluded. */
export function ignoreMatcher(patterns: readonly string[]): { excludes: (file: string) => boolean; hasExceptions: boolean } {
  const compiled: Pattern[] = patterns.map((pattern) => {
    const exclusion = pattern.startsWith('!');
    return { exclusion, regex: patternRegex(exclusion ? pattern.slice(1) : pattern) };
  });
  const excludes = (file: string): boolean => {
    const parents = file.split('/').slice(0, -1);
    let matched = false;
    for (const pattern of compiled) {
      let match = pattern.regex.test(file);
      // A pattern naming a folder excludes (or re-includes) everything below it.
      for (let depth = 1; !match && depth <= parents.length; depth++) match = pattern.regex.test(parents.slice(0, depth).join('/'));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  };
  return { excludes, hasExceptions: compiled.some((pattern) => pattern.exclusion) };
}

/** The build context's own ignore file; BuildKit first reads the Dockerfile's name with it as a suffix. */
export const DOCKERIGNORE = '.dockerignore';

/** Pure: the Dockerfile-specific ignore file BuildKit reads instead of the context's (`<Dockerfile>.dockerignore`). */
export function dockerfileIgnoreFile(dockerfile: string): string {
  return `${dockerfile}${DOCKERIGNORE}`;
}

/** The text of the context's own .dockerignore ('' when it has none). */
export function repoIgnoreText(context: string): string {
  return readTextIfExists(path.join(context, DOCKERIGNORE)) ?? '';
}

/** The ignore file a build of `dockerfile` in `context` reads, and its text (undefined: none). */
export function ignoreFileInEffect(context: string, dockerfile: string, builder: Builder): { file: string | undefined; text: string } {
  const candidates = builder === 'buildkit' ? [dockerfileIgnoreFile(dockerfile), path.join(context, DOCKERIGNORE)] : [path.join(context, DOCKERIGNORE)];
  for (const file of candidates) {
    const text = readTextIfExists(file);
    if (text !== undefined) return { file, text };
  }
  return { file: undefined, text: '' };
}

/**
 * Every file (and symlink) of the context a build sends, context-relative and sorted. A folder that
 * is excluded is not walked when no exception could bring anything below it back, as Docker does.
 * `leaveOut`: names (files or folders, at any depth) not listed, e.g. `.git`, which the input hash
 * stands for by the commit's tree.
 */
export function contextFiles(context: string, ignoreText: string, leaveOut: ReadonlySet<string> = new Set()): string[] {
  const { excludes, hasExceptions } = ignoreMatcher(readIgnorePatterns(ignoreText));
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(context, relative), { withFileTypes: true })) {
      if (leaveOut.has(entry.name)) continue;
      const file = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!hasExceptions && excludes(file)) continue;
        walk(file);
      } else if (!excludes(file)) {
        files.push(file);
      }
    }
  };
  walk('');
  return files.sort();
}
