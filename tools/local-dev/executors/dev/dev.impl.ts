/**
 * dev: live code for one service (docs/live.md). Nx runs `up` first (the target's dependsOn), so
 * the service and what it depends on run exactly as `up` leaves them; then this task watches the
 * clone until Ctrl-C (a continuous target), see src/tasks/live-session.ts. SIGINT or SIGTERM end
 * it with success: the containers keep running, marked live.
 */
import type { ExecutorContext } from '@nx/devkit';
import { createServiceRunContext } from '../../src/config/run-context';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { runDevSession, type DevSignals } from '../../src/tasks/live-session';
import type { DevExecutorSchema } from './schema';

export interface NormalizedDevOptions {
  service: string;
  namespace: string | undefined;
}

export function normalizeOptions(options: DevExecutorSchema): NormalizedDevOptions {
  return { service: options.service, namespace: options.namespace };
}

/**
 * `stopped` resolves at the first SIGINT or SIGTERM, `aborted` at the second: a sync or rebuild
 * under way is waited for after the first, not after the second (a Go rebuild can take minutes).
 * The handlers stay until `dispose`, so no signal kills this process half way through taking itself
 * out of the records and releasing the lock (that takes milliseconds, aborted or not).
 */
export function untilSignal(): DevSignals & { dispose: () => void } {
  let stop = () => {};
  let abort = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const aborted = new Promise<void>((resolve) => (abort = resolve));
  let signals = 0;
  const handler = () => {
    signals += 1;
    if (signals === 1) stop();
    else abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stopped,
    aborted,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

export default async function devExecutor(options: DevExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  // Listening before anything else: a Ctrl-C during the setup still ends the session cleanly.
  const signal = untilSignal();
  try {
    return await runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
      const run = createServiceRunContext(context.root, normalizeOptions(options));
      await runDevSession(run, signal, {
        log: (line) => process.stdout.write(`${line}\n`),
        warn: (line) => process.stderr.write(`${line}\n`),
      });
    });
  } finally {
    signal.dispose();
  }
}
