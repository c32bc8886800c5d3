/**
 * What the supervisor keeps alive: the "forwarder", the one process that serves Redis on the
 * bound addresses. Two kinds, one supervisor:
 *
 *   tunnel  kubectl -n <ns> port-forward deployment/<name> --address <a,b> <port>:<port>
 *   local   redis-server --port <port> --bind <a> <b> …   (config.yaml `redis.mode: local`)
 *
 * Everything that differs between them is here, as data and pure functions: the program, its
 * arguments (plan.ts), which output lines say it is ready, and what its output means when it fails.
 * The supervisor (start → ready → PING every address → healthy → backoff on failure), the process
 * layer and the control functions are the same code for both, so a local Redis is checked exactly
 * like the tunnel: healthy only after a PING answered on every address.
 */
import type { RedisMode } from '../config/model';
import { classifyKubectlOutput, forwardingAddress, isBrokenForwardLine, type KubectlProblem, type ProblemContext } from './kubectl-errors';
import { localRedisArgs, portForwardArgs, type TunnelTarget } from './plan';
import { classifyRedisServerOutput, INSTALL_REDIS_FIX, isRedisReadyLine } from './redis-server-errors';

export interface ForwarderKind {
  mode: RedisMode;
  /** The program's name, in messages and the log ("kubectl", "redis-server"). */
  name: string;
  /** The program run when ControlOptions names none. */
  defaultProgram: string;
  args(target: TunnelTarget): string[];
  /** Which of `addresses` a stdout line says are now served (none for most lines). */
  announces(line: string, addresses: readonly string[]): string[];
  /** What the program prints once it serves every address, for the ready-timeout message. */
  readyPhrase: string;
  /** kubectl writes its failures to stderr; redis-server logs everything to stdout. */
  fatalOnStdout: boolean;
  classify(output: string, context: ProblemContext): KubectlProblem | undefined;
  /** A line printed while running that says the forward may be broken now: check at once. */
  isBrokenLine(line: string): boolean;
  /** Lines too frequent to keep in the log (kubectl announces every connection). */
  isNoise(line: string): boolean;
  installFix: string;
  /** Where the Redis is, for status lines: "s1/deployment/redis", "a local redis-server". */
  describe(target: Pick<TunnelTarget, 'namespace' | 'deployment'>): string;
}

export const KUBECTL_FORWARDER: ForwarderKind = {
  mode: 'tunnel',
  name: 'kubectl',
  defaultProgram: 'kubectl',
  args: portForwardArgs,
  announces: (line, addresses) => {
    const address = forwardingAddress(line);
    if (address === undefined) return [];
    return addresses.length === 0 ? ['any address'] : [address];
  },
  readyPhrase: '"Forwarding from"',
  fatalOnStdout: false,
  classify: classifyKubectlOutput,
  isBrokenLine: isBrokenForwardLine,
  isNoise: (line) => /^Handling connection for \d+/.test(line),
  installFix: 'install kubectl (https://kubernetes.io/docs/tasks/tools/) and make sure it is on PATH',
  describe: (target) => `${target.namespace}/deployment/${target.deployment}`,
};

export const LOCAL_REDIS_FORWARDER: ForwarderKind = {
  mode: 'local',
  name: 'redis-server',
  defaultProgram: 'redis-server',
  args: localRedisArgs,
  // redis-server binds every address before it says it is ready, and exits if it cannot bind one.
  announces: (line, addresses) => (isRedisReadyLine(line) ? (addresses.length === 0 ? ['any address'] : [...addresses]) : []),
  readyPhrase: '"Ready to accept connections"',
  fatalOnStdout: true,
  classify: classifyRedisServerOutput,
  isBrokenLine: () => false,
  isNoise: () => false,
  installFix: INSTALL_REDIS_FIX,
  describe: () => 'a local redis-server',
};

/** The forwarder of a target; a target without a mode (a state from before local mode) is a tunnel. */
export function forwarderFor(target: Pick<TunnelTarget, 'mode'>): ForwarderKind {
  return target.mode === 'local' ? LOCAL_REDIS_FORWARDER : KUBECTL_FORWARDER;
}
