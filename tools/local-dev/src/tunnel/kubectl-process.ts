/**
 * The one place the tunnel spawns its forwarder (kubectl port-forward, or for `redis.mode: local`
 * a redis-server; see forwarder.ts): start it, wait until it serves every address, and hand back
 * a handle to watch and stop it. What follows says "kubectl"; a redis-server is handled the same
 * way, with its own ready line ("Ready to accept connections") and its own failure messages.
 *
 * Like Garden's port-forward spawner: readiness is kubectl's own "Forwarding from" lines; a fatal
 * stderr line (namespace not found, forbidden, port in use …) or an exit before them rejects with
 * kubectl's message and a fix. kubectl runs in a process group of its own so that stopping it also
 * ends anything it started (gcloud's kubectl dispatcher runs the real binary as a child).
 *
 * Readiness waits for one "Forwarding from" line per address, not the first one: kubectl binds its
 * addresses in turn, and the Docker bridge address can come 0.4 s after loopback. The other design,
 * taking a refused PING as "not yet" for a grace period, would guess a duration, and would hide a
 * real refusal for that long; kubectl's own line says exactly when each listener exists, and the
 * ready timeout still bounds a kubectl that never announces one.
 */
import { spawn } from 'node:child_process';
import { tail } from '../core/exec';
import { TunnelError } from '../core/errors';
import { KUBECTL_FORWARDER, type ForwarderKind } from './forwarder';
import { addressesNotYetForwarding, type KubectlProblem, type ProblemContext } from './kubectl-errors';

/** kubectl could not start forwarding. Carries the classified problem for the supervisor's state. */
export class PortForwardError extends TunnelError {
  constructor(readonly problem: KubectlProblem) {
    super(`kubectl port-forward failed: ${problem.message}`, { fix: problem.fix });
  }
}

export interface KubectlExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines kubectl printed, for the log and the state's last error. */
  outputTail: string;
}

export interface PortForwardProcess {
  /** -1 when kubectl could not even be spawned (not installed). */
  pid: number;
  /**
   * Resolves once kubectl has printed a "Forwarding from" line for every address it was asked to
   * bind. Rejects with a PortForwardError (and the process group killed) on a fatal stderr line,
   * an exit before then, or the ready timeout.
   */
  ready: Promise<void>;
  /** Resolves when kubectl is gone, however that happens. */
  exited: Promise<KubectlExit>;
  /** Ends kubectl and its process group (SIGTERM, then SIGKILL after a grace period); waits for the exit. */
  stop(): Promise<void>;
}

export interface StartPortForwardOptions {
  /** The program to run (kubectl, redis-server, or a test's stand-in). */
  program: string;
  /** Which forwarder it is: how it says it is ready and what its failures mean (default kubectl). */
  kind?: ForwarderKind;
  args: string[];
  env: NodeJS.ProcessEnv;
  context: ProblemContext;
  /**
   * The addresses kubectl binds (its --address list). Ready waits for each one's own "Forwarding
   * from" line; empty means the first such line is enough.
   */
  addresses: readonly string[];
  readyTimeoutMs: number;
  /** Every line kubectl prints, as it arrives (the supervisor logs them and watches for breakage). */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * kubectl ends its port-forward on SIGTERM at once; one that has not exited after this is killed.
 * Kept short: stopping the tunnel (redis-tunnel:down) must take well under 2 s in every state.
 */
const STOP_GRACE_MS = 500;
const OUTPUT_TAIL_LINES = 10;

/** Spawns kubectl port-forward. The handle comes back at once, so a caller can stop a slow start. */
export function startPortForward(options: StartPortForwardOptions): PortForwardProcess {
  const kind = options.kind ?? KUBECTL_FORWARDER;
  // detached: kubectl leads a new process group, so killGroup(pid) reaches its children too.
  const child = spawn(options.program, options.args, { env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exitInfo: KubectlExit | undefined;
  let settled = false;
  let resolveReady!: () => void;
  let rejectReady!: (error: PortForwardError) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let resolveExit!: (exit: KubectlExit) => void;
  const exited = new Promise<KubectlExit>((resolve) => (resolveExit = resolve));
  const announced: string[] = [];
  const stillToBind = () => addressesNotYetForwarding(options.addresses.length === 0 ? ['any address'] : options.addresses, announced);

  const settle = (problem?: KubectlProblem) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (!problem) return resolveReady();
    killGroup(child.pid, 'SIGKILL');
    rejectReady(new PortForwardError(problem));
  };

  const timer = setTimeout(
    () =>
      settle({
        kind: 'unknown',
        message: `${kind.name} did not print ${kind.readyPhrase} for ${stillToBind().join(', ')} within ${options.readyTimeoutMs} ms${output ? `; it said: ${tail(output, 3)}` : ''}`,
        fix:
          kind.mode === 'local'
            ? `see logs/redis-tunnel.log for what ${kind.name} printed; local-dev retries on its own`
            : 'check that the cluster is reachable (`kubectl cluster-info`); the tunnel retries on its own',
        permanent: false,
      }),
    options.readyTimeoutMs,
  );

  const onText = (stream: 'stdout' | 'stderr') => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        output += `${line}\n`;
        options.onLine(line, stream);
        if (settled) continue;
        const addresses = stream === 'stdout' ? kind.announces(line, options.addresses) : [];
        if (addresses.length > 0) {
          // Ready only when every address has its own line: kubectl binds them one by one, and a
          // PING to one it has not bound yet would be refused (see addressesNotYetForwarding).
          announced.push(...addresses);
          if (stillToBind().length === 0) settle();
        } else if (stream === 'stderr' || kind.fatalOnStdout) {
          // The whole output so far, not the line alone: kubectl's generic closing line ("unable to
          // listen on any of the requested ports") must not hide the specific cause printed before it.
          const problem = kind.classify(output, options.context);
          if (problem?.permanent) settle(problem);
        }
      }
    };
  };
  child.stdout.on('data', onText('stdout'));
  child.stderr.on('data', onText('stderr'));

  // 'exit', not 'close': a grandchild holding kubectl's pipes open must not delay noticing the exit.
  child.on('exit', (code, signal) => {
    exitInfo = { code, signal, outputTail: tail(output, OUTPUT_TAIL_LINES) };
    // kubectl is gone; end whatever it left in its group (no orphans).
    killGroup(child.pid, 'SIGKILL');
    const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
    settle(
      kind.classify(exitInfo.outputTail, options.context) ?? {
        kind: 'unknown',
        message: `${kind.name} ${how} before ${kind.mode === 'local' ? 'it was ready' : 'forwarding'}${exitInfo.outputTail ? `: ${exitInfo.outputTail}` : ' (no output)'}`,
        fix: 'see logs/redis-tunnel.log; the tunnel retries on its own',
        permanent: false,
      },
    );
    resolveExit(exitInfo);
  });

  child.on('error', (error: NodeJS.ErrnoException) => {
    // Spawning failed: there is no process, so nothing will 'exit'.
    const notInstalled = error.code === 'ENOENT';
    settle({
      kind: notInstalled ? 'not-installed' : 'unknown',
      message: notInstalled ? `${options.program}: command not found` : `cannot start ${options.program}: ${error.message}`,
      fix: notInstalled ? kind.installFix : `check that ${options.program} is an executable program`,
      permanent: true,
    });
    if (child.pid === undefined) {
      exitInfo = { code: null, signal: null, outputTail: '' };
      resolveExit(exitInfo);
    }
  });

  return {
    pid: child.pid ?? -1,
    ready,
    exited,
    stop: async () => {
      if (exitInfo) return;
      killGroup(child.pid, 'SIGTERM');
      const grace = setTimeout(() => killGroup(child.pid, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(grace);
    },
  };
}

/** Signals a whole process group; a group that is already gone is fine (that is the goal). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
