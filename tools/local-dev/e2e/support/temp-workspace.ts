/**
 * A throw-away local-dev workspace for end-to-end tests: the real nx.json, package.json, tsconfig and
 * plugin of this repo, a config.yaml of the test's own, configs/<ns>/ folders, and node_modules linked
 * from this repo. `run()` drives the real nx CLI in it (no daemon, so every run sees the files as
 * they are now).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** This repository's root (tools/local-dev/e2e/support → four levels up). */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

export interface TempWorkspace {
  root: string;
  /** Writes a file relative to the workspace root, creating folders. */
  write(relativePath: string, content: string): void;
  /** Runs `nx <args>` in the workspace. Never throws on a non-zero exit: assert on `code`. */
  nx(args: string[], options?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<RunResult>;
  /** Runs any command in the workspace, same contract as nx(). */
  run(command: string, args: string[], options?: { env?: Record<string, string | undefined>; timeoutMs?: number; cwd?: string }): Promise<RunResult>;
  remove(): void;
}

export interface TempWorkspaceOptions {
  /** Content of repos_docker_files/config.yaml. */
  config: string;
  /** Namespace folders to create under configs/ (default: s1, s2). */
  namespaces?: string[];
  /** Extra files, relative path → content. */
  files?: Record<string, string>;
  /** Prefix of the temp folder name, to tell workspaces apart when debugging. */
  name?: string;
}

export function createTempWorkspace(options: TempWorkspaceOptions): TempWorkspace {
  const root = mkdtempSync(path.join(os.tmpdir(), `local-dev-${options.name ?? 'ws'}-`));
  for (const file of ['nx.json', 'package.json', 'tsconfig.base.json', 'tsconfig.json', '.gitignore']) {
    cpSync(path.join(REPO_ROOT, file), path.join(root, file));
  }
  // The plugin and executors run from this repo's source, exactly as in the real workspace.
  symlinkSync(path.join(REPO_ROOT, 'tools'), path.join(root, 'tools'), 'dir');
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  const write = (relativePath: string, content: string) => {
    const absolute = path.join(root, relativePath);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
  };
  write('repos_docker_files/config.yaml', options.config);
  for (const namespace of options.namespaces ?? ['s1', 's2']) write(`configs/${namespace}/README.md`, `# ${namespace}\n`);
  for (const [file, content] of Object.entries(options.files ?? {})) write(file, content);

  const run: TempWorkspace['run'] = (command, args, runOptions = {}) =>
    runProcess(command, args, { cwd: runOptions.cwd ?? root, env: runOptions.env, timeoutMs: runOptions.timeoutMs });
  const workspace: TempWorkspace = {
    root,
    write,
    run,
    nx: (args, runOptions = {}) =>
      run(path.join(root, 'node_modules', '.bin', 'nx'), args, {
        ...runOptions,
        // Plain text whatever the caller's terminal or CI says: tests match what Nx prints.
        env: { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: undefined, FORCE_COLOR: '0', NO_COLOR: '1', ...runOptions.env },
      }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
  return workspace;
}

/**
 * Makes the workspace look like a user's checkout: the project folders `nx sync` writes
 * (services/<name>/), then git with everything committed.
 */
export async function initWorkspace(workspace: TempWorkspace): Promise<void> {
  const synced = await workspace.nx(['sync']);
  if (synced.code !== 0) throw new Error(`nx sync failed in ${workspace.root}:\n${synced.output}`);
  await commitAll(workspace);
}

/** Initialises git in the workspace and commits everything, as a user's checkout would be. */
export async function commitAll(workspace: TempWorkspace, message = 'workspace'): Promise<void> {
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['-c', 'user.email=test@local-dev.invalid', '-c', 'user.name=test', 'commit', '-q', '-m', message],
  ]) {
    const result = await workspace.run('git', args);
    if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.output}`);
  }
}

function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      output += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output });
    });
  });
}
