/**
 * Benchmark (issue 20, item 7): the memory of `nx run stack:logs --follow` while it follows a
 * service that prints a lot — the follower must stay flat, however much it has printed.
 *
 *   node -r @swc-node/register bench/logs-follow.ts [MB, default 200] [--compare <git ref>] [--unpatched-nx] [--nx-heap-mb <MB>]
 *   (from the repository root; `npm run bench:logs-follow`)
 *
 * A temp workspace with two services whose containers are busybox: `bulk` prints MB megabytes of
 * 100-byte lines as fast as it can, then keeps running (as a service does); `quiet` prints one
 * line. `nx run stack:logs --follow` (both services: the time-ordered merge) runs with its output
 * read and thrown away by this script; every 0.5 s it samples the resident memory (VmRSS) of the
 * follower (the process that runs `docker logs`) and of the `nx` process it runs under. Once the
 * last line has come through, the bulk container is killed, which ends the follow.
 *
 * `--compare <ref>` runs the same on the code of that commit too (a git worktree), side by side.
 * `--unpatched-nx` runs it again on a private copy of Nx without scripts/patch-nx.js's output-tail
 * patch: Nx 23 as it ships keeps every task's whole output in the `nx` process until the task ends
 * (node-child-process.js and pseudo-terminal.js, `terminalOutputChunks`), so there the `nx` line
 * grows with what was followed; patched, Nx keeps the last 8 MiB and the line stays bounded: V8
 * lets the garbage of 2 million lines pile up to a few hundred MB before it collects, whatever
 * was followed. `--nx-heap-mb 48` caps the V8 heap of nx (and of the processes it starts, through
 * NODE_OPTIONS) to show what is really kept: patched, nx follows on at a flat RSS; unpatched, it
 * runs out of memory.
 * Linux only (reads /proc). Prints figures; asserts nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LABELS, workspaceId } from '../tools/local-dev/src/core/naming';
import { removeByWorkspaceLabel } from '../tools/local-dev/e2e/fixtures/stack/stack';
import { createTempWorkspace, initWorkspace, REPO_ROOT, type TempWorkspace } from '../tools/local-dev/e2e/support/temp-workspace';
import { useNxWithoutPatch } from '../tools/local-dev/e2e/support/unpatched-nx';

const LINE_BYTES = 100;
const END_MARK = 'end-of-bulk';
const SAMPLE_MS = 500;

interface Figures {
  label: string;
  mbFollowed: number;
  seconds: number;
  exitCode: number | null;
  follower: number[];
  nx: number[];
  errorTail: string;
}

function docker(args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** VmRSS of `pid` in MB, or undefined when it is gone. */
function rssMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    // It ended between two samples.
    return undefined;
  }
}

/** The process running `docker logs … <container>` (the follower is its parent). */
function dockerLogsParent(container: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0]) === 'docker' && argv[1] === 'logs' && argv.includes(container)) {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      }
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}

/** Makes the workspace run another checkout's plugin and executors (and its nx.json, package.json) instead of this one's. */
function useCheckout(workspace: TempWorkspace, checkout: string): void {
  for (const file of ['nx.json', 'package.json', 'tsconfig.base.json', 'tsconfig.json'])
    copyFileSync(path.join(checkout, file), path.join(workspace.root, file));
  rmSync(path.join(workspace.root, 'tools'));
  symlinkSync(path.join(checkout, 'tools'), path.join(workspace.root, 'tools'), 'dir');
  // node_modules/@local-dev/nx-plugin points at tools/local-dev: a copy of node_modules' top level that points there.
  const modules = path.join(workspace.root, 'node_modules');
  rmSync(modules);
  mkdirSync(path.join(modules, '@local-dev'), { recursive: true });
  for (const entry of readdirSync(path.join(REPO_ROOT, 'node_modules'))) {
    if (entry !== '@local-dev') symlinkSync(path.join(REPO_ROOT, 'node_modules', entry), path.join(modules, entry));
  }
  symlinkSync(path.join(checkout, 'tools', 'local-dev'), path.join(modules, '@local-dev', 'nx-plugin'), 'dir');
}

interface Variant {
  /** Changes what the workspace runs (another checkout, another Nx) before it is used. */
  prepare?: (workspace: TempWorkspace) => void;
  /** V8's old-space limit for nx and the processes it starts (--max-old-space-size). */
  heapMb?: number;
}

async function measure(label: string, megabytes: number, { prepare, heapMb }: Variant = {}): Promise<Figures> {
  const config = ['services:', '  bulk:', '    repo: /nonexistent/bulk.git', '  quiet:', '    repo: /nonexistent/quiet.git', ''].join('\n');
  const workspace = createTempWorkspace({ config, name: 'bench-logs' });
  prepare?.(workspace);
  const id = workspaceId(workspace.root);
  try {
    await initWorkspace(workspace);
    const labels = (service: string) => ['--label', `${LABELS.workspace}=${id}`, '--label', `${LABELS.service}=${service}`];
    const lines = Math.round((megabytes * 1e6) / LINE_BYTES);
    const bulk = docker([
      'run',
      '-d',
      ...labels('bulk'),
      'busybox:1.36',
      'sh',
      '-c',
      `yes ${'x'.repeat(LINE_BYTES - 1)} | head -n ${lines}; echo ${END_MARK}; exec sleep 3600`,
    ]);
    docker(['run', '-d', ...labels('quiet'), 'busybox:1.36', 'sh', '-c', 'echo quiet']);

    const env: NodeJS.ProcessEnv = { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
    if (heapMb !== undefined) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --max-old-space-size=${heapMb}`.trim();
    const started = performance.now();
    const nx = spawn(path.join(workspace.root, 'node_modules', '.bin', 'nx'), ['run', 'stack:logs', '--follow', `--tail=${2 * lines}`], {
      cwd: workspace.root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let bytes = 0;
    let last = '';
    let sawEnd = false;
    let errorTail = '';
    nx.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      last = (last + chunk.toString('latin1')).slice(-200);
      if (!sawEnd && last.includes(END_MARK)) {
        sawEnd = true;
        docker(['kill', bulk]);
      }
    });
    nx.stderr.on('data', (chunk: Buffer) => (errorTail = (errorTail + chunk.toString()).slice(-8000)));
    const exited = new Promise<number | null>((resolve) => nx.on('close', resolve));

    const follower: number[] = [];
    const nxRss: number[] = [];
    let followerPid: number | undefined;
    const sampler = setInterval(() => {
      followerPid ??= dockerLogsParent(bulk);
      const own = rssMb(nx.pid!);
      if (own !== undefined) nxRss.push(own);
      const theirs = followerPid === undefined ? undefined : rssMb(followerPid);
      if (theirs !== undefined) follower.push(theirs);
    }, SAMPLE_MS);
    const exitCode = await exited;
    clearInterval(sampler);
    return {
      label,
      mbFollowed: bytes / 1e6,
      seconds: (performance.now() - started) / 1000,
      exitCode,
      follower,
      nx: nxRss,
      errorTail: exitCode === 0 ? '' : errorTail,
    };
  } finally {
    removeByWorkspaceLabel(id);
    workspace.remove();
  }
}

function describe(samples: number[]): string {
  if (samples.length === 0) return 'no samples';
  const mb = (value: number) => `${value.toFixed(0)} MB`;
  // About ten samples spread over the run, to show whether it stays flat or climbs.
  const step = Math.max(1, Math.floor(samples.length / 10));
  const course = samples
    .filter((_, index) => index % step === 0)
    .map((value) => value.toFixed(0))
    .join(' ');
  return `start ${mb(samples[0])}, peak ${mb(Math.max(...samples))}, end ${mb(samples[samples.length - 1])} (${samples.length} samples: ${course})`;
}

function print(figures: Figures, megabytes: number): void {
  console.log(`${figures.label}:`);
  console.log(
    `  followed ${figures.mbFollowed.toFixed(1)} MB of ${megabytes} MB (+ prefixes) in ${figures.seconds.toFixed(1)} s (${(figures.mbFollowed / figures.seconds).toFixed(1)} MB/s); nx exited with ${figures.exitCode}`,
  );
  console.log(`  follower (runs docker logs) RSS: ${describe(figures.follower)}`);
  console.log(`  nx (the command you typed) RSS:  ${describe(figures.nx)}`);
  if (figures.errorTail) {
    // The task's own error (edge.ts prints it on stderr as "✖ <task>: <message>"), without the bulk lines it quotes.
    const lines = figures.errorTail.split('\n').filter((line) => line.trim() !== '' && !/x{50}/.test(line));
    const from = Math.max(
      0,
      lines.findIndex((line) => line.includes('✖')),
    );
    console.log(
      `  it failed:\n${lines
        .slice(from, from + 4)
        .map((line) => `    ${line.slice(0, 160)}`)
        .join('\n')}`,
    );
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const compareAt = args.indexOf('--compare');
  const ref = compareAt === -1 ? undefined : args.splice(compareAt, 2)[1];
  const unpatchedAt = args.indexOf('--unpatched-nx');
  if (unpatchedAt !== -1) args.splice(unpatchedAt, 1);
  const heapAt = args.indexOf('--nx-heap-mb');
  const heapMb = heapAt === -1 ? undefined : Number(args.splice(heapAt, 2)[1]);
  if (heapMb !== undefined && !(heapMb > 0)) throw new Error('--nx-heap-mb takes a number of MB, e.g. --nx-heap-mb 48');
  const megabytes = Number(args[0] ?? 200);
  const heap = heapMb === undefined ? '' : `, nx's V8 heap capped at ${heapMb} MB`;
  console.log(
    `logs-follow: \`nx run stack:logs --follow\` over a service printing ${megabytes} MB of ${LINE_BYTES}-byte lines and a quiet one; RSS sampled every ${SAMPLE_MS} ms${heap}`,
  );
  print(await measure('this checkout', megabytes, { heapMb }), megabytes);
  if (unpatchedAt !== -1) {
    const withoutPatch = (workspace: TempWorkspace) => useNxWithoutPatch(workspace, 'output-tail');
    print(await measure('this checkout, Nx without the output-tail patch (scripts/patch-nx.js)', megabytes, { prepare: withoutPatch, heapMb }), megabytes);
  }
  if (ref) {
    const worktree = path.join(os.tmpdir(), `local-dev-bench-logs-${process.pid}`);
    const added = spawnSync('git', ['worktree', 'add', '--detach', worktree, ref], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (added.status !== 0) throw new Error(`git worktree add ${ref} failed: ${added.stderr}`);
    // Its runtime compiles its sources with this checkout's @swc/core.
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(worktree, 'node_modules'), 'dir');
    try {
      print(
        await measure(`${ref} (${spawnSync('git', ['rev-parse', '--short', ref], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim()})`, megabytes, {
          prepare: (workspace) => useCheckout(workspace, worktree),
          heapMb,
        }),
        megabytes,
      );
    } finally {
      spawnSync('git', ['worktree', 'remove', '--force', worktree], { cwd: REPO_ROOT });
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
