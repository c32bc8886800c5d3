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
      const fallback = rest.length > 0 ? rest.join('=').trim().replace(/^"(.*)"$/, '$1') : undefined;
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
  const references = stages.filter((stage) => stage.parent === undefined && stage.from.toLowerCase() !== 'scratch' && !stage.from.includes('$') && stage.from !== '');
  return [...new Set(references.map((stage) => stage.from))].sort();
}
