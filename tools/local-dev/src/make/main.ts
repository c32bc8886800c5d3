/**
 * What the Makefile runs for every `make <command> [words…]` (through ../../runtime/make.js): reads
 * the words make was given from the environment — never from a command line a shell has parsed —,
 * checks every one (./words.ts), then runs the nx commands with the terminal attached, one after
 * the other, as make ran its recipe lines. Under `make -n` it prints them instead.
 *
 * The Makefile exports:
 *   LOCAL_DEV_MAKE_WORDS  make's goals (MAKECMDGOALS) as typed: "run s2 health-api";
 *   LOCAL_DEV_MAKE_ROOT   the folder make runs in (the workspace root).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import * as path from 'node:path';
import { loadConfigCached } from '../config/cached-load';
import { describeFailure } from '../core/edge';
import { listNamespaces } from '../core/namespace';
import { workspacePaths } from '../core/workspace';
import { selectServices } from '../stack/select';
import { classifyWords, commandsFor, isDryRun, type NamespaceSource } from './words';

/** Where `npm run demo` keeps its workspace, whose configs/ hold the demo's namespaces (scripts/demo.ts). */
const DEMO_FOLDER = path.join('examples', 'demo');

/** The checked commands for make's words; throws a UsageError (or config.yaml's ConfigError) before anything runs. */
export function planMake(root: string, goals: readonly string[]): string[][] {
  const namespacesOf = (source: NamespaceSource) => listNamespaces(workspacePaths(source === 'demo' ? path.join(root, DEMO_FOLDER) : root));
  const words = classifyWords(goals, namespacesOf);
  // Only when a service is named: a bare `make status` must reach nx even with a broken config.yaml (it reports it there).
  if (words.services.length > 0) selectServices(loadConfigCached(root), words.services);
  return commandsFor(words);
}

/** Runs one command with the terminal attached; resolves with its exit code (128 + n for a signal, as a shell says it). */
function runAttached(root: string, [command, ...args]: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    // Ctrl-C reaches the whole foreground group, nx included; this process only waits for nx's answer.
    const ignoreInterrupt = () => undefined;
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', ignoreInterrupt);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    const done = () => {
      process.off('SIGINT', ignoreInterrupt);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
    };
    child.on('error', (error) => {
      done();
      reject(error);
    });
    child.on('close', (code, signal) => {
      done();
      resolve(code ?? 128 + ((signal && constants.signals[signal]) || 1));
    });
  });
}

export async function runMake(env: NodeJS.ProcessEnv, write: (line: string) => void): Promise<number> {
  const root = env.LOCAL_DEV_MAKE_ROOT || process.cwd();
  const goals = (env.LOCAL_DEV_MAKE_WORDS ?? '').split(/\s+/).filter(Boolean);
  const commands = planMake(root, goals);
  for (const command of commands) {
    // Every word was checked to be a plain name or a fixed flag: joined with spaces, it reads as typed.
    write(command.join(' '));
    if (isDryRun(env.MAKEFLAGS)) continue;
    const code = await runAttached(root, command);
    if (code !== 0) return code;
  }
  return 0;
}

/** The edge of `make`: the one place an error becomes output and an exit status. */
export function main(): void {
  const goals = (process.env.LOCAL_DEV_MAKE_WORDS ?? '').split(/\s+/).filter(Boolean);
  runMake(process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${describeFailure(`make ${goals[0] ?? ''}`.trim(), error)}\n`);
      process.exitCode = 1;
    },
  );
}
