/**
 * `make <command> [words…]`: the old habits (`make run s2 health-api`, `make logs a b`,
 * `make clean force`) turned into nx commands, as argument arrays. Pure.
 *
 * Why not in the Makefile itself: make hands a recipe to the shell, so every word typed after the
 * command (`make logs 'a$(id)'`, `*`) would be evaluated by it; and make accepts any word as a
 * target, so `make stauts` succeeded doing nothing. The Makefile now only passes its words through
 * the environment to ../../runtime/make.js; here each word is checked — a command, one of its flag
 * words, a namespace (a folder under configs/), or a service of config.yaml — before anything runs.
 */
import { didYouMean } from '../core/did-you-mean';
import { UsageError } from '../core/errors';

/** Which configs/ a command's namespace word is checked against. */
export type NamespaceSource = 'workspace' | 'demo';

interface Command {
  /** Words that switch something on, e.g. `refresh`. */
  flags: readonly string[];
  namespace?: NamespaceSource;
  services: boolean;
  /** What the command does, for the list of commands. */
  summary: string;
  commands(words: ClassifiedWords): string[][];
}

/** The words of one `make` call, sorted into their roles. */
export interface ClassifiedWords {
  command: string;
  flags: string[];
  namespace: string | undefined;
  /** Words left for services, in the order typed, each once: still to be checked against config.yaml. */
  services: string[];
}

const NX = ['npx', 'nx'];

const has = (words: ClassifiedWords, flag: string) => words.flags.includes(flag);
const namespaceFlag = (words: ClassifiedWords) => (words.namespace ? [`--namespace=${words.namespace}`] : []);
const servicesFlag = (words: ClassifiedWords) => (words.services.length > 0 ? [`--services=${words.services.join(',')}`] : []);
const projectsFlag = (words: ClassifiedWords) => (words.services.length > 0 ? [`--projects=${words.services.join(',')}`] : []);

/** Every command, in the order `make` lists them. The first is what a bare `make` runs. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  run: {
    flags: ['refresh', 'live', 'dashboard'],
    namespace: 'workspace',
    services: true,
    summary: 'start everything, or the named services and what they need',
    commands: (words) => [
      // The dashboard first, to watch the build live.
      ...(has(words, 'dashboard') ? [[...NX, 'run', 'stack:dashboard', ...namespaceFlag(words)]] : []),
      // Nx streams every task's output as it is printed (builds, starts) instead of after each task.
      [
        ...NX,
        'run-many',
        '-t',
        'up',
        ...projectsFlag(words),
        ...namespaceFlag(words),
        ...(has(words, 'refresh') ? ['--refresh'] : []),
        ...(has(words, 'live') ? ['--outputStyle=stream'] : []),
      ],
    ],
  },
  dev: {
    flags: [],
    namespace: 'workspace',
    services: true,
    summary: 'start as run does, then put every edit in a clone into its running containers, until Ctrl-C',
    // Continuous tasks: streamed, so each service's "synced 2 files …" line shows as it is printed.
    commands: (words) => [[...NX, 'run-many', '-t', 'dev', ...projectsFlag(words), ...namespaceFlag(words), '--outputStyle=stream']],
  },
  status: {
    flags: [],
    namespace: 'workspace',
    services: true,
    summary: 'what runs, and is it what you think (stale, crashed, dirty …)',
    commands: (words) => [[...NX, 'run', 'stack:status', ...servicesFlag(words), ...namespaceFlag(words)]],
  },
  stats: {
    flags: ['watch'],
    services: true,
    summary: 'CPU, memory, network and restarts of the containers',
    commands: (words) => [[...NX, 'run', 'stack:stats', ...servicesFlag(words), ...(has(words, 'watch') ? ['--watch'] : [])]],
  },
  logs: {
    flags: [],
    services: true,
    summary: 'follow the logs of all, or the named services',
    commands: (words) => [[...NX, 'run', 'stack:logs', ...servicesFlag(words), '--follow']],
  },
  stop: {
    flags: [],
    services: true,
    summary: 'stop everything (containers, tunnel, network), or the named services',
    commands: (words) => [words.services.length > 0 ? [...NX, 'run-many', '-t', 'down', ...projectsFlag(words)] : [...NX, 'run', 'stack:stop']],
  },
  restart: {
    flags: [],
    namespace: 'workspace',
    services: true,
    summary: 'restart the containers (all, or the named) and reconnect Redis',
    commands: (words) => [[...NX, 'run', 'stack:restart', ...servicesFlag(words), ...namespaceFlag(words)]],
  },
  doctor: {
    flags: [],
    namespace: 'workspace',
    services: true,
    summary: 'check everything a run needs, each problem with its fix',
    commands: (words) => [[...NX, 'run', 'stack:doctor', ...servicesFlag(words), ...namespaceFlag(words)]],
  },
  clean: {
    flags: ['force'],
    services: false,
    summary: 'stop, then remove what local-dev made (force: move clones holding your work to logs/backups/ first)',
    commands: (words) => [[...NX, 'run', 'stack:clean', ...(has(words, 'force') ? ['--force'] : [])]],
  },
  dashboard: {
    flags: [],
    namespace: 'workspace',
    services: false,
    summary: 'the web dashboard on http://127.0.0.1:9999, in the background',
    commands: (words) => [[...NX, 'run', 'stack:dashboard', ...namespaceFlag(words)]],
  },
  demo: {
    flags: ['down', 'refresh'],
    namespace: 'demo',
    services: false,
    summary: 'the sample stack of examples/demo (docs/demo.md); down removes it',
    commands: (words) => [
      ['npm', 'run', 'demo', '--', ...(has(words, 'down') ? ['--down'] : []), ...(has(words, 'refresh') ? ['--refresh'] : []), ...namespaceFlag(words)],
    ],
  },
};

const COMMAND_NAMES = Object.keys(COMMANDS);
const ALL_FLAGS = new Set(Object.values(COMMANDS).flatMap((command) => command.flags));

/** Pure: `make run [refresh] [live] [dashboard] [<namespace>] [<service> …]`. */
export function usage(name: string): string {
  const command = COMMANDS[name];
  const parts = [...command.flags.map((flag) => `[${flag}]`), ...(command.namespace ? ['[<namespace>]'] : []), ...(command.services ? ['[<service> …]'] : [])];
  return ['make', name, ...parts].join(' ');
}

/** Pure: every command with its words and what it does, one per line. */
export function commandList(): string {
  const width = Math.max(...COMMAND_NAMES.map((name) => usage(name).length));
  return COMMAND_NAMES.map((name) => `  ${usage(name).padEnd(width)}  ${COMMANDS[name].summary}`).join('\n');
}

/**
 * Pure: make's goals (MAKECMDGOALS, split on blanks) → the command and its words sorted into
 * flags, namespace and candidate services. `namespacesOf` lists the namespaces that exist for a
 * source. Throws a UsageError naming the word and what the command takes.
 */
export function classifyWords(goals: readonly string[], namespacesOf: (source: NamespaceSource) => readonly string[]): ClassifiedWords {
  const [name = COMMAND_NAMES[0], ...rest] = goals;
  if (!Object.hasOwn(COMMANDS, name)) {
    const suggestion = didYouMean(name, COMMAND_NAMES);
    throw new UsageError(`unknown command "${name}"; nothing was run`, {
      fix: `${suggestion ? `did you mean \`make ${suggestion}\`? ` : ''}the command comes first, then its words:\n${commandList()}`,
    });
  }
  const command = COMMANDS[name];
  const namespaces = command.namespace ? namespacesOf(command.namespace) : [];
  const classified: ClassifiedWords = { command: name, flags: [], namespace: undefined, services: [] };
  const refuse = (message: string) =>
    new UsageError(`${message}; nothing was run`, { fix: `${usage(name)}${namespaces.length > 0 ? ` (namespaces: ${namespaces.join(', ')})` : ''}` });
  for (const word of rest) {
    if (command.flags.includes(word)) {
      if (!classified.flags.includes(word)) classified.flags.push(word);
    } else if (namespaces.includes(word)) {
      if (classified.namespace !== undefined && classified.namespace !== word) throw refuse(`two namespaces, "${classified.namespace}" and "${word}"`);
      classified.namespace = word;
    } else if (ALL_FLAGS.has(word)) {
      throw refuse(`"${word}" means nothing to ${name}`);
    } else if (!command.namespace && namespacesOf('workspace').includes(word)) {
      throw refuse(`"${word}" is a namespace, and ${name} does not take one`);
    } else if (command.services) {
      if (!classified.services.includes(word)) classified.services.push(word);
    } else {
      throw refuse(`"${word}" is not ${command.namespace ? 'a namespace' : 'a word it takes'}`);
    }
  }
  return classified;
}

/** Pure: the commands to run, in order, as argument arrays. */
export function commandsFor(words: ClassifiedWords): string[][] {
  return COMMANDS[words.command].commands(words);
}

/**
 * Pure: is make running with -n (--just-print, --dry-run), -q or -t? Its MAKEFLAGS then start
 * with a word of one-letter flags holding that letter; the recipe runs anyway (it is marked `+`)
 * so that it can print the commands it would run instead.
 */
export function isDryRun(makeFlags: string | undefined): boolean {
  const first = (makeFlags ?? '').trim().split(/\s+/)[0] ?? '';
  return !first.startsWith('-') && /[nqt]/.test(first);
}
