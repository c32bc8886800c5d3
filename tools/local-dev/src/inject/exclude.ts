/**
 * The block of .git/info/exclude that local-dev owns. Pure text in, text out: everything outside
 * the markers is the user's and is kept byte for byte.
 *
 * .git/info/exclude works like a .gitignore that is never committed, so untracked injected files
 * stay out of `git status` and `git add -A` in that clone only.
 */

export const BLOCK_START = '# >>> local-dev: injected files (managed by local-dev; edits inside this block are lost)';
export const BLOCK_END = '# <<< local-dev';

/** A gitignore pattern matching exactly this one path from the repo root. */
export function exactIgnorePattern(relativePath: string): string {
  const escaped = relativePath.replace(/[\\*?[\]!#]/g, (char) => `\\${char}`).replace(/ $/, '\\ ');
  return `/${escaped}`;
}

/** `existing` with local-dev's block replaced by one for `paths` (or removed when there are none). */
export function withExcludeBlock(existing: string, paths: readonly string[]): string {
  const lines = existing.split('\n');
  const start = lines.indexOf(BLOCK_START);
  const end = start === -1 ? -1 : lines.indexOf(BLOCK_END, start);
  const outside = start === -1 || end === -1 ? lines : [...lines.slice(0, start), ...lines.slice(end + 1)];
  let text = outside.join('\n');
  if (paths.length === 0) return text;
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  const block = [BLOCK_START, ...[...paths].sort().map(exactIgnorePattern), BLOCK_END].join('\n');
  return `${text}${block}\n`;
}
