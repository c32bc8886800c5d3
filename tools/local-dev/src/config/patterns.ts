/**
 * The text patterns of config.yaml values, apart from the zod schema so that code which only needs
 * the model (every executor, through model.ts) does not load zod.
 *
 * Each pattern is the truth (it is also written into config.schema.json for editors); the function
 * next to it only explains, in words, why a value does not match.
 */

/** Plain folder-like names: services become Docker hostnames and Nx project names. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Paths written in config.yaml (configs source and dest, dockerfile). They end up in file globs,
 * command arguments and file names, so they are kept to characters that mean nothing to a shell or a
 * glob, relative, never read as an option, and never climbing out with "..".
 */
export const SAFE_PATH_PATTERN = /^(?![-/])(?!(?:.*\/)?\.\.(?:\/|$))[A-Za-z0-9._/-]+$/;
export const SAFE_PATH_RULE = 'letters, digits, ".", "_", "-" and "/" only; a relative path, not starting with "-", with no ".." parts';

/** Why `value` does not match SAFE_PATH_PATTERN, or undefined when it does. */
export function unsafePathReason(value: string): string | undefined {
  if (SAFE_PATH_PATTERN.test(value)) return undefined;
  if (value === '') return 'is empty';
  const others = disallowedCharacters(value, /[A-Za-z0-9._/-]/);
  if (others) return `contains ${others}`;
  if (value.startsWith('/')) return 'is an absolute path';
  if (value.startsWith('-')) return 'starts with "-" (a program would read it as an option)';
  return 'has a ".." part (it would leave its folder)';
}

/** One folder name (a clone under cloned/): no slashes, not "." or "..", no leading "-". */
export const FOLDER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const FOLDER_NAME_RULE = 'one folder name: letters, digits, ".", "_" and "-", starting with a letter or digit';

export function unsafeFolderNameReason(value: string): string | undefined {
  if (FOLDER_NAME_PATTERN.test(value)) return undefined;
  if (value === '') return 'is empty';
  const others = disallowedCharacters(value, /[A-Za-z0-9._-]/);
  if (others) return `contains ${others}`;
  return 'does not start with a letter or digit';
}

/**
 * Where an injected file goes in a clone: a safe path with no ".git" part (any case: macOS and
 * Windows file systems ignore it), so no hook or git config can be planted. The injector checks
 * again on disk, where symlinks show. It is SAFE_PATH_PATTERN with one more condition in front.
 */
export const DEST_PATH_PATTERN = /^(?!(?:.*\/)?\.[Gg][Ii][Tt](?:\/|$))(?![-/])(?!(?:.*\/)?\.\.(?:\/|$))[A-Za-z0-9._/-]+$/;
export const DEST_PATH_RULE = `${SAFE_PATH_RULE}; not inside a .git folder`;

export function unsafeDestReason(value: string): string | undefined {
  if (DEST_PATH_PATTERN.test(value)) return undefined;
  return unsafePathReason(value) ?? 'points into a .git folder (a file there, e.g. a hook, would run as code)';
}

/**
 * Branch names: git's own rules (check-ref-format) on the same safe characters, so a branch can
 * never be read as an option (`-…`) or a revision range (`a..b`) by the git commands that get it.
 */
export const BRANCH_PATTERN = /^(?![-/.])(?!.*(?:\.\.|\/\/|\/\.))(?!.*(?:\.lock|[/.])$)[A-Za-z0-9._/-]+$/;
export const BRANCH_RULE =
  'letters, digits, ".", "_", "-" and "/" only; not starting with "-", "/" or "."; no "..", "//" or "/."; not ending with "/", "." or ".lock"';

export function unsafeBranchReason(value: string): string | undefined {
  if (BRANCH_PATTERN.test(value)) return undefined;
  if (value === '') return 'is empty';
  const others = disallowedCharacters(value, /[A-Za-z0-9._/-]/);
  if (others) return `contains ${others}`;
  if (value.startsWith('-')) return 'starts with "-" (git would read it as an option)';
  return 'is not a branch name git accepts';
}

/**
 * Repository URLs: anything git can clone, except a value git would read as an option, a line
 * break, or the remote-helper form `<helper>::<address>` (e.g. `ext::sh -c …` runs a command).
 */
export const REPO_PATTERN = /^(?!-)(?![A-Za-z][A-Za-z0-9+.-]*::)[^\u0000-\u001f\u007f]+$/;
export const REPO_RULE =
  'a git URL (https://, ssh://, git@host:path, file://) or a local path; not starting with "-", no "<helper>::" remote helpers, no control characters';

export function unsafeRepoReason(value: string): string | undefined {
  if (REPO_PATTERN.test(value)) return undefined;
  if (value === '') return 'is empty';
  if (value.startsWith('-')) return 'starts with "-" (git would read it as an option)';
  const helper = /^([A-Za-z][A-Za-z0-9+.-]*)::/.exec(value);
  if (helper) return `uses the git remote helper "${helper[1]}::", which local-dev does not allow (helpers such as ext:: run commands)`;
  return 'contains a control character (a line break or tab?)';
}

/** The characters of `value` outside `allowed`, each once, quoted ("a space" for " "). */
function disallowedCharacters(value: string, allowed: RegExp): string | undefined {
  const others = [...new Set([...value].filter((character) => !allowed.test(character)))];
  if (others.length === 0) return undefined;
  return others.map((character) => (character === ' ' ? 'a space' : JSON.stringify(character))).join(', ');
}

/**
 * "8000:8000", "8000", "127.0.0.1:8000:8000", "8000:8000/udp" — the compose short syntax we accept.
 * Groups: 1 host address, 2 host port, 3 container port, 4 protocol. Ranges are checked by
 * portMappingProblem: a pattern only says what the text looks like.
 */
export const PORT_MAPPING_PATTERN = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp))?$/;
export const PORT_MAPPING_EXAMPLES =
  '"8000:8000" (host:container, published on 127.0.0.1 only), "8000", "0.0.0.0:8000:8000" (host address first; 0.0.0.0: every interface, other machines too) or "8000:8000/udp"';
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** What is wrong with a port spec and how to write it, or undefined when it is valid. */
export function portMappingProblem(value: string): { problem: string; fix: string } | undefined {
  const match = PORT_MAPPING_PATTERN.exec(value);
  if (!match) {
    return {
      problem: `"${value}" is not a port spec; valid forms: ${PORT_MAPPING_EXAMPLES}`,
      fix: `write "host port:container port", each from ${MIN_PORT} to ${MAX_PORT}, e.g. "8000:8000"`,
    };
  }
  const [, address, host, container] = match;
  if (address !== undefined && address.split('.').some((octet) => Number(octet) > 255)) {
    return {
      problem: `host address ${address} in "${value}" is not an IPv4 address (each of its 4 numbers is 0–255)`,
      fix: 'use an address of this machine, e.g. "127.0.0.1:8000:8000", or leave it out',
    };
  }
  for (const [role, port] of [
    ['host', host],
    ['container', container],
  ] as const) {
    if (port !== undefined && !isPort(Number(port))) {
      return { problem: `${role} port ${port} in "${value}" is out of range`, fix: `ports are ${MIN_PORT} to ${MAX_PORT}` };
    }
  }
  return undefined;
}

export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= MIN_PORT && value <= MAX_PORT;
}

/**
 * live.sync's `from`: a path in the clone (SAFE_PATH_PATTERN), or "." for the whole clone; a
 * trailing "/" is allowed (it reads as a folder, as users write it).
 */
export const LIVE_FROM_PATTERN = /^(?:\.\/?|(?![-/])(?!(?:.*\/)?\.\.(?:\/|$))[A-Za-z0-9._/-]+)$/;
export const LIVE_FROM_RULE = `"." (the whole clone) or ${SAFE_PATH_RULE}`;

export function unsafeLiveFromReason(value: string): string | undefined {
  if (LIVE_FROM_PATTERN.test(value)) return undefined;
  return unsafePathReason(value) ?? 'is not a path in the clone';
}

/** live.sync's `to`: an absolute path in the container, with no ".." parts and not the root itself (nor "/."). */
export const LIVE_TO_PATTERN = /^\/(?!(?:\.?\/)*\.?$)(?!(?:.*\/)?\.\.(?:\/|$))[A-Za-z0-9._/-]+$/;
export const LIVE_TO_RULE = 'an absolute path in the container (not "/" itself): letters, digits, ".", "_", "-" and "/" only, with no ".." parts';

export function unsafeLiveToReason(value: string): string | undefined {
  if (LIVE_TO_PATTERN.test(value)) return undefined;
  if (value === '') return 'is empty';
  if (!value.startsWith('/')) return 'is not an absolute path in the container';
  // "/", "//", "/.", "/./": the root however it is spelled.
  if (/^\/(?:\.?\/)*\.?$/.test(value)) return "is the container's root (a sync would write anywhere)";
  const others = disallowedCharacters(value, /[A-Za-z0-9._/-]/);
  if (others) return `contains ${others}`;
  return 'has a ".." part (a sync would write outside it)';
}

/** live's `rebuild-on` and `ignore`: globs relative to the clone, never leaving it. */
export const LIVE_GLOB_PATTERN = /^(?![/])(?!(?:.*\/)?\.\.(?:\/|$))[A-Za-z0-9._/*?{},\[\]!-]+$/;
export const LIVE_GLOB_RULE = 'a glob relative to the clone (*, **, ?, {a,b}, [abc]); not absolute, with no ".." parts';

export function unsafeLiveGlobReason(value: string): string | undefined {
  if (LIVE_GLOB_PATTERN.test(value)) return undefined;
  if (value === '') return 'is empty';
  if (value.startsWith('/')) return 'is an absolute path';
  const others = disallowedCharacters(value, /[A-Za-z0-9._/*?{},[\]!-]/);
  if (others) return `contains ${others}`;
  return 'has a ".." part (it would leave the clone)';
}
