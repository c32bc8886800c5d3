/**
 * Nx custom hashers (executors.json "hasher") of the tasks whose cache hit depends on state outside
 * the files Nx sees: up (the containers), inject-config (what is injected in the clones) and
 * redis-tunnel:up (the tunnel). Each is the task's normal hash (its inputs in infer.ts) plus the
 * settled token of that state (./settled.ts).
 *
 * Why hashers and not runtime inputs: Nx runs a runtime input as a shell command, one process per
 * command per hashing round, and a no-op run has four rounds; the node start-ups alone cost more
 * than the whole check. A hasher runs inside the nx command that hashes (no process, no shell, so no
 * config text can ever reach one), asks the engine over its socket and reads a few files. Nx also
 * hashes a task with a custom hasher only once the tasks it depends on have finished, so up sees
 * the image build-image settled on and the compose file of this run.
 *
 * The tasks of one hashing round are hashed together: one look at the engine (or the clones) per
 * round is shared by all of them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { workspaceRoot, type CustomHasher, type Hash, type HasherContext, type Task } from '@nx/devkit';
import { INJECTION_STATE_ARGS_FILE, UP_STATE_ARGS_FILE } from '../plugin/runtime-inputs';
import { INJECT_KEY, observeInjection } from './inject-state';
import { printedToken } from './settled';
import { observeTunnel, TUNNEL_KEY } from './tunnel-state';
import { upStateTokens } from './up-state';


/** One computation shared by every task hashed in the same round (callers that overlap in time). */
function sharedPerRound<T>(compute: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = compute();
      // Dropped once settled and the round's other callers have had it: the next round looks again.
      const drop = () => setImmediate(() => (pending = undefined));
      pending.then(drop, drop);
    }
    return pending;
  };
}

/** The task's own hash (its inputs), extended with `state`. */
async function withState(task: Task, context: HasherContext, state: string): Promise<Hash> {
  const env = (context as HasherContext & { env?: NodeJS.ProcessEnv }).env ?? process.env;
  const base = await context.hasher.hashTask(task, context.taskGraph, env);
  const value = createHash('sha256').update(base.value).update('\0local-dev state\0').update(state).digest('hex');
  return { ...base, value, details: { ...base.details, runtime: { ...(base.details?.runtime ?? {}), 'local-dev state': state } } };
}

/**
 * A failure to look (no engine, an unreadable file) gives a token that never repeats: the task
 * runs and reports the problem, instead of being skipped for good.
 */
async function stateOrFailure(look: () => Promise<string>): Promise<string> {
  try {
    return await look();
  } catch (error) {
    return `could not look (${(error as Error).message}) at ${Date.now()}-${process.pid}-${Math.random()}`;
  }
}

function serviceOf(task: Task, context: HasherContext): string {
  const service = context.projectsConfigurations.projects[task.target.project]?.targets?.[task.target.target]?.options?.service;
  if (typeof service !== 'string') throw new Error(`local-dev hasher: ${task.id} has no service option`);
  return service;
}

/**
 * The three hashers for the workspace at `root` (a function: Nx's own root, found from nx.json,
 * not the directory the user typed `nx` in, which may be a subfolder).
 */
export function hashersFor(root: () => string): { up: CustomHasher; injectConfig: CustomHasher; tunnel: CustomHasher } {
  /** The services, or the clone folders, as the plugin wrote them for this config (src/plugin/runtime-inputs.ts). */
  const listed = (file: string) => readFileSync(path.join(root(), file), 'utf8').split('\n').filter((line) => line !== '');
  const upTokens = sharedPerRound(() => upStateTokens(root(), listed(UP_STATE_ARGS_FILE)));
  const injectToken = sharedPerRound(async () => printedToken(root(), INJECT_KEY, observeInjection(root(), listed(INJECTION_STATE_ARGS_FILE))));
  return {
    up: async (task, context) => {
      const service = serviceOf(task, context);
      return withState(task, context, await stateOrFailure(async () => {
        const token = (await upTokens())[service];
        if (token === undefined) throw new Error(`${service} is not in ${UP_STATE_ARGS_FILE}`);
        return token;
      }));
    },
    injectConfig: async (task, context) => withState(task, context, await stateOrFailure(injectToken)),
    tunnel: async (task, context) => withState(task, context, await stateOrFailure(async () => printedToken(root(), TUNNEL_KEY, observeTunnel(root())))),
  };
}

export const { up, injectConfig, tunnel } = hashersFor(() => workspaceRoot);
