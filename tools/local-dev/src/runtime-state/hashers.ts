/**
 * Nx custom hashers (executors.json "hasher") of the tasks whose cache hit depends on state outside
 * the files Nx sees. Each is the task's normal hash (its inputs in infer.ts) plus:
 *   - build-image: the source hash of the image the service's current inputs call for
 *     (src/docker/input-hash.ts: the clone's code, the injected files, the Dockerfile, the build
 *     args, the namespace — files only, no engine state, so it stays expressible as Nx inputs);
 *   - up (the containers), inject-config (what is injected in the clones) and redis-tunnel:up (the
 *     tunnel): the settled token of that state (./settled.ts).
 *
 * Why hashers and not runtime inputs: Nx runs a runtime input as a shell command, one process per
 * command per hashing round, and a no-op run has four rounds; the node start-ups alone cost more
 * than the whole check. A hasher runs inside the nx command that hashes (no shell, so no config
 * text can ever reach one), reuses the code the executors run (one source of truth: no shell copy
 * of a file format), asks the engine over its socket and reads a few files. Nx also hashes a task
 * with a custom hasher only once the tasks it depends on have finished, so build-image sees the
 * clone as clone and inject-config left it, and up the image build-image settled on.
 *
 * The services and clones come from the validated model (loadConfigCached: the config the plugin
 * inferred the projects from). The tasks of one hashing round are hashed together: one look at
 * the engine, each clone or the config (per namespace) per round is shared by all of them.
 */
import { createHash } from 'node:crypto';
import { workspaceRoot, type CustomHasher, type Hash, type HasherContext, type Task } from '@nx/devkit';
import { loadConfigCached } from '../config/cached-load';
import { createRunContext, serviceRunContext } from '../config/run-context';
import { serviceSources } from '../docker/image';
import { readCloneState, sourceHash, type CloneState } from '../docker/input-hash';
import { INJECT_KEY, observeInjection } from './inject-state';
import { newAttemptToken, printedToken } from './settled';
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

/** Like sharedPerRound, one computation per key (a clone folder, a namespace) and round. */
function sharedPerRoundByKey<K, T>(compute: (key: K) => Promise<T>): (key: K) => Promise<T> {
  const pending = new Map<K, () => Promise<T>>();
  return (key) => {
    let shared = pending.get(key);
    if (!shared) {
      shared = sharedPerRound(() => compute(key));
      pending.set(key, shared);
    }
    return shared();
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
  // Nx types a target's options as `any`: read them as what they are, an unchecked object.
  const options = context.projectsConfigurations.projects[task.target.project]?.targets?.[task.target.target]?.options as { service?: unknown } | undefined;
  const service = options?.service;
  if (typeof service !== 'string') throw new Error(`local-dev hasher: ${task.id} has no service option`);
  return service;
}

/** --namespace as the task was given it (forwarded along the chain); undefined: config.yaml's default. */
function namespaceOf(task: Task): string | undefined {
  const namespace = task.overrides?.namespace;
  return typeof namespace === 'string' ? namespace : undefined;
}

/**
 * The hashers for the workspace at `root` (a function: Nx's own root, found from nx.json, not the
 * directory the user typed `nx` in, which may be a subfolder).
 */
export function hashersFor(root: () => string): { buildImage: CustomHasher; up: CustomHasher; injectConfig: CustomHasher; tunnel: CustomHasher } {
  const model = () => loadConfigCached(root());
  const upTokens = sharedPerRound(async () =>
    upStateTokens(
      root(),
      model().services.map((service) => service.name),
    ),
  );
  const injectToken = sharedPerRound(async () =>
    printedToken(
      root(),
      INJECT_KEY,
      observeInjection(
        root(),
        model().repos.map((repo) => repo.dir),
      ),
    ),
  );
  const cloneState: (cloneDir: string) => Promise<CloneState> = sharedPerRoundByKey(readCloneState);
  // One config read and namespace check per round and namespace (undefined: the default), not per service.
  const runContext = sharedPerRoundByKey(async (namespace: string | undefined) => createRunContext(root(), { namespace }));
  return {
    buildImage: async (task, context) =>
      withState(
        task,
        context,
        await stateOrFailure(async () => {
          const run = serviceRunContext(await runContext(namespaceOf(task)), serviceOf(task, context));
          return `image input ${sourceHash((await serviceSources(run, cloneState)).sources)}`;
        }),
      ),
    up: async (task, context) => {
      const service = serviceOf(task, context);
      return withState(
        task,
        context,
        await stateOrFailure(async () => {
          const token = (await upTokens())[service];
          if (token === undefined) throw new Error(`${service} is not in the config`);
          // Redis not healthy: up has something to say at the end of the run (executors/up), so it is no cache hit then.
          return observeTunnel(root()).satisfied ? token : `${token} redis not healthy ${newAttemptToken()}`;
        }),
      );
    },
    injectConfig: async (task, context) => withState(task, context, await stateOrFailure(injectToken)),
    tunnel: async (task, context) => withState(task, context, await stateOrFailure(async () => printedToken(root(), TUNNEL_KEY, observeTunnel(root())))),
  };
}

export const { buildImage, up, injectConfig, tunnel } = hashersFor(() => workspaceRoot);
