/**
 * What a Dockerfile says, read the simple way: its instructions, the images its stages start FROM,
 * and (for the secret files local-dev injects) where a file of the clone lands in the image.
 *
 * Pure and deliberately modest: only instructions whose meaning is certain from the text are
 * interpreted (FROM, ARG before the first FROM, WORKDIR, COPY without --from/wildcards/variables).
 * Anything else that could put a file in the image comes back as `undefined` with the reason, and
 * the caller treats the service as local-only — a wrong guess here would either leak a secret into
 * a shared image or leave the container without its file.
 */
import * as path from 'node:path';

export interface Instruction {
  /** Upper-case keyword (FROM, COPY, …). */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** 1-based line of the keyword, for messages. */
  line: number;
}

/** Pure: the instructions of a Dockerfile (comments and parser directives left out, continuations joined). */
export function parseInstructions(text: string): { instructions: Instruction[]; escape: string } {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  // Parser directives: only at the very top, before any instruction, comment or blank line.
  for (const line of lines) {
    const directive = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (!directive) break;
    if (directive[1].toLowerCase() === 'escape') escape = directive[2];
  }
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) return;
    if (pending === undefined && trimmed === '') return;
    const continues = trimmed.endsWith(escape);
    const part = continues ? trimmed.slice(0, -escape.length) : trimmed;
    pending = pending === undefined ? { text: part, line: index + 1 } : { text: `${pending.text} ${part}`, line: pending.line };
    if (continues) return;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text.trim());
    if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: pending.line });
    pending = undefined;
  });
  if (pending !== undefined) {
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text.trim());
    if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: pending.line });
  }
  return { instructions, escape };
}

/** Pure: `$NAME` and `${NAME}` replaced from `values`; undefined when a variable is not known. */
export function substitute(text: string, values: Record<string, string>): string | undefined {
  let unknown = false;
  const result = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    if (!(name in values)) unknown = true;
    return values[name] ?? '';
  });
  return unknown || result.includes('$') ? undefined : result;
}

export interface Stage {
  /** The image reference or earlier stage it starts from, as written once ARGs are substituted. */
  from: string;
  /** `AS name`, lower-cased as Docker compares it. */
  name?: string;
  /** Index into `instructions` of its FROM. */
  start: number;
  /** The earlier stage it builds on (FROM <stage name>), if any. */
  parent?: number;
}

/** Pure: the stages, with ARGs declared before the first FROM (overridden by build args) substituted. */
export function parseStages(instructions: Instruction[], buildArgs: Record<string, string>): Stage[] {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  instructions.forEach((instruction, index) => {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, ...rest] = instruction.args.split('=');
      const key = name.trim();
      const fallback =
        rest.length > 0
          ? rest
              .join('=')
              .trim()
              .replace(/^"(.*)"$/, '$1')
          : undefined;
      const value = buildArgs[key] ?? fallback;
      if (value !== undefined) globalArgs[key] = value;
      return;
    }
    if (instruction.keyword !== 'FROM') return;
    const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
    const written = words[0] ?? '';
    const from = substitute(written, globalArgs) ?? written;
    const name = words.length >= 3 && words[1].toLowerCase() === 'as' ? words[2].toLowerCase() : undefined;
    const parent = stages.findIndex((stage) => stage.name !== undefined && stage.name === from.toLowerCase());
    stages.push({ from, name, start: index, parent: parent === -1 ? undefined : parent });
  });
  return stages;
}

/**
 * Pure: the images the Dockerfile's stages start from (not `scratch`, not earlier stages), as
 * written after ARG substitution; a reference still holding a variable is left out (its text is in
 * the Dockerfile, which the hash holds anyway).
 */
export function baseImageReferences(dockerfileText: string, buildArgs: Record<string, string>): string[] {
  const stages = parseStages(parseInstructions(dockerfileText).instructions, buildArgs);
  const references = stages.filter(
    (stage) => stage.parent === undefined && stage.from.toLowerCase() !== 'scratch' && !stage.from.includes('$') && stage.from !== '',
  );
  return [...new Set(references.map((stage) => stage.from))].sort();
}

/** Where a clone file lands in the final image: absolute paths (none: it is never copied), or not known and why. */
export type Landing = { at: string[] } | { at: undefined; reason: string };

interface CopyArgs {
  flags: Record<string, string>;
  sources: string[];
  dest: string;
}

/** Pure: COPY/ADD arguments, shell or JSON form; undefined for a here-document (nothing from the context). */
function parseCopyArgs(args: string): CopyArgs | undefined {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let flag = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest); flag; flag = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags[flag[1]] = flag[2] ?? 'true';
    rest = rest.slice(flag[0].length);
  }
  if (rest.includes('<<')) return undefined;
  let words: string[];
  if (rest.startsWith('[')) {
    try {
      words = JSON.parse(rest) as string[];
    } catch {
      words = rest.split(/\s+/);
    }
  } else {
    words = rest.split(/\s+/).filter(Boolean);
  }
  return { flags, sources: words.slice(0, -1), dest: words[words.length - 1] ?? '' };
}

/** Pure: a COPY source as a context-relative path ("" is the whole context). */
function contextPath(source: string): string {
  const normalized = path.posix.normalize(`/${source}`).slice(1);
  return normalized.replace(/\/+$/, '');
}

const WILDCARD = /[*?[\]]/;

/** Whether a (wildcard) source pattern can match the file or a folder above it. */
function wildcardReaches(pattern: string, file: string): boolean {
  const regex = new RegExp(
    `^${contextPath(pattern)
      .split('')
      .map((char) => (char === '*' ? '[^/]*' : char === '?' ? '[^/]' : /[.+^${}()|\\]/.test(char) ? `\\${char}` : char))
      .join('')}$`,
  );
  const parts = file.split('/');
  return parts.some((_part, index) => regex.test(parts.slice(0, index + 1).join('/')));
}

interface StageState {
  /** Absolute WORKDIR, or undefined while the base image's (unknown here) applies. */
  workdir: string | undefined;
  landings: string[];
}

/**
 * Pure: where the clone file `file` (clone-relative, posix) lands in the image the Dockerfile
 * builds (its last stage), reading FROM, WORKDIR and COPY; anything that could move the file in a
 * way not certain from the text (ADD, a wildcard or variable COPY reaching it, COPY --from a stage
 * holding it, a build stage other than the image's own copying it) gives `at: undefined` and why.
 */
export function landingPaths(dockerfileText: string, buildArgs: Record<string, string>, file: string): Landing {
  const { instructions } = parseInstructions(dockerfileText);
  const stages = parseStages(instructions, buildArgs);
  if (stages.length === 0) return { at: undefined, reason: 'the Dockerfile has no FROM line' };
  const states: StageState[] = [];
  const unknown = (instruction: Instruction, why: string): Landing => ({
    at: undefined,
    reason: `${why} (line ${instruction.line}: ${instruction.keyword} ${instruction.args})`,
  });
  for (const [index, stage] of stages.entries()) {
    const parent = stage.parent === undefined ? undefined : states[stage.parent];
    const state: StageState = { workdir: parent?.workdir, landings: [...(parent?.landings ?? [])] };
    states.push(state);
    const end = stages[index + 1]?.start ?? instructions.length;
    for (const instruction of instructions.slice(stage.start + 1, end)) {
      if (instruction.keyword === 'WORKDIR') {
        const target = instruction.args.replace(/^"(.*)"$/, '$1');
        if (target.includes('$')) state.workdir = undefined;
        else if (target.startsWith('/')) state.workdir = path.posix.normalize(target);
        else state.workdir = state.workdir === undefined ? undefined : path.posix.join(state.workdir, target);
        continue;
      }
      if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') continue;
      const copy = parseCopyArgs(instruction.args);
      if (copy === undefined) continue;
      if (copy.flags.from !== undefined) {
        const from = copy.flags.from.toLowerCase();
        const source = stages.findIndex((candidate, position) => candidate.name === from || String(position) === from);
        if (source !== -1 && states[source]?.landings.length) return unknown(instruction, `it copies from build stage ${copy.flags.from}, which holds ${file}`);
        continue;
      }
      const local = copy.sources.filter((source) => !/^(https?:\/\/|git@)/.test(source));
      for (const source of local) {
        if (source.includes('$')) return unknown(instruction, 'a source is a variable');
        if (WILDCARD.test(source)) {
          if (wildcardReaches(source, file)) return unknown(instruction, `a wildcard source reaches ${file}`);
          continue;
        }
        const from = contextPath(source);
        const isFile = from === file;
        if (!isFile && from !== '' && !file.startsWith(`${from}/`)) continue;
        if (instruction.keyword === 'ADD') return unknown(instruction, `ADD copies ${file} (it can unpack archives and fetch URLs: only COPY is read)`);
        // up copies the file in as root with the clone's mode (docker cp): another owner or mode would differ from the image's.
        if (copy.flags.chown !== undefined) return unknown(instruction, 'COPY --chown: local-dev cannot yet copy the secret with that owner');
        if (copy.flags.chmod !== undefined) return unknown(instruction, 'COPY --chmod: local-dev cannot yet copy the secret with that mode');
        if (copy.dest.includes('$')) return unknown(instruction, 'the destination is a variable');
        const dest = copy.dest.startsWith('/') ? copy.dest : state.workdir === undefined ? undefined : path.posix.join(state.workdir, copy.dest);
        if (dest === undefined) return unknown(instruction, 'a relative destination with no WORKDIR in the stage (the base image decides where it goes)');
        const intoFolder = copy.dest.endsWith('/') || copy.dest === '.' || local.length > 1;
        state.landings.push(
          isFile
            ? intoFolder
              ? path.posix.join(dest, path.posix.basename(file))
              : path.posix.normalize(dest)
            : path.posix.join(dest, file.slice(from === '' ? 0 : from.length + 1)),
        );
      }
    }
  }
  const finalIndex = stages.length - 1;
  const ancestors = new Set<number>();
  for (let index: number | undefined = finalIndex; index !== undefined; index = stages[index].parent) ancestors.add(index);
  const other = states.findIndex((state, index) => !ancestors.has(index) && state.landings.length > 0);
  if (other !== -1) {
    return {
      at: undefined,
      reason: `build stage ${stages[other].name ?? other} (line ${instructions[stages[other].start].line}) copies ${file}, and may need it while building`,
    };
  }
  return { at: [...new Set(states[finalIndex].landings)] };
}
