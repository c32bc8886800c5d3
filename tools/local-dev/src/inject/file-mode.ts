/**
 * The permission bits an injected file gets in the clone. Pure.
 *
 * The rule:
 *  - read and write bits are exactly the source's: a secret is never readable or writable by
 *    anyone its file in configs/<ns>/ does not allow (0600 lands as 0600, 0640 as 0640, never as
 *    the umask's 0644), and never narrower either (a source deliberately shared stays shared);
 *  - execute bits are the source's, plus the execute bits of the file it replaces (a tracked
 *    script, e.g. 100755 in git, stays runnable) — but only for the classes (user, group, other)
 *    the source lets READ it. So a 0600 secret over a tracked 0755 script lands as 0700: runnable
 *    by its owner, still unreadable by anyone else.
 */

/**
 * @param sourceMode   the source file's mode (followed through symlinks)
 * @param replacedMode the mode of what the injected file replaces: the index mode of a tracked
 *                     file, a user's untracked file's mode, or undefined when nothing is replaced
 *                     (a new file, or one local-dev injected itself earlier)
 */
export function injectedMode(sourceMode: number, replacedMode: number | undefined): number {
  const source = sourceMode & 0o777;
  const readableBy = (source & 0o444) >> 2; // each class's r bit moved to its x position
  return source | ((replacedMode ?? 0) & 0o111 & readableBy);
}

/** The mode git gives a checked-out file of this index mode (100755 executable, else not), as the replaced mode. */
export function gitIndexMode(indexMode: string): number {
  return indexMode === '100755' ? 0o755 : 0o644;
}

export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
