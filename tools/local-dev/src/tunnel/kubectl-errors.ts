/**
 * kubectl's own words → what went wrong and what the user should do. Pure.
 *
 * kubectl reports everything on stderr as free text. We recognise the messages a developer meets
 * with port-forward (no context, wrong namespace or deployment, RBAC, busy port, cluster down, a
 * dropped connection) and pair each with a fix. `permanent` problems will not go away by retrying
 * (tunnel-up fails at once on them); the others are retried with backoff by the supervisor.
 */

export type KubectlProblemKind =
  | 'not-installed'
  | 'no-context'
  | 'namespace-not-found'
  | 'deployment-not-found'
  | 'forbidden'
  | 'unauthorized'
  | 'bind-address-gone'
  | 'port-in-use'
  | 'cluster-unreachable'
  | 'pod-not-running'
  | 'connection-lost'
  | 'unknown';

export interface KubectlProblem {
  kind: KubectlProblemKind;
  /** kubectl's own line that told us, quoted to the user as is. */
  message: string;
  fix: string;
  permanent: boolean;
}

interface Rule {
  kind: KubectlProblemKind;
  pattern: RegExp;
  permanent: boolean;
  fix: (match: RegExpMatchArray, context: ProblemContext) => string;
}

/** What the fixes may mention. */
export interface ProblemContext {
  namespace: string;
  deployment: string;
  port: number;
}

const RULES: Rule[] = [
  {
    kind: 'not-installed',
    pattern: /kubectl: command not found|spawn kubectl ENOENT/i,
    permanent: true,
    fix: () => 'install kubectl (https://kubernetes.io/docs/tasks/tools/) and make sure it is on PATH',
  },
  {
    kind: 'no-context',
    pattern:
      /current-context is not set|context was not found for specified context|no configuration has been provided|error loading config file|invalid configuration: no configuration/i,
    permanent: true,
    fix: () => 'log in to the cluster and pick a context: `kubectl config get-contexts`, then `kubectl config use-context <name>`',
  },
  {
    kind: 'namespace-not-found',
    pattern: /namespaces? "([^"]+)" not found/i,
    permanent: true,
    fix: (match, context) =>
      `namespace "${match[1] ?? context.namespace}" does not exist in this cluster: check \`kubectl get namespaces\` and pass --namespace=<one of them>, or switch context`,
  },
  {
    kind: 'deployment-not-found',
    pattern: /deployments?(?:\.apps)? "([^"]+)" not found/i,
    permanent: true,
    fix: (match, context) =>
      `no deployment "${match[1] ?? context.deployment}" in namespace ${context.namespace}: check \`kubectl -n ${context.namespace} get deployments\` and set redis.deployment in repos_docker_files/config.yaml`,
  },
  {
    kind: 'forbidden',
    pattern: /\(Forbidden\)|is forbidden|cannot create resource "pods\/portforward"/i,
    permanent: true,
    fix: (_match, context) =>
      `your cluster user may not port-forward in ${context.namespace}: ask for the "pods/portforward" permission there, or switch to a context that has it`,
  },
  {
    kind: 'unauthorized',
    pattern: /\(Unauthorized\)|You must be logged in to the server|token (?:has )?expired|Unauthorized/i,
    permanent: true,
    fix: () => 'your cluster credentials are missing or expired: log in again (e.g. `gcloud auth login` / your SSO) and retry',
  },
  {
    // Before port-in-use: kubectl follows this line with the generic "unable to listen on any of
    // the requested ports", and the cause is not a busy port but an address this host lost (docker0
    // removed and re-created, e.g. when Docker restarts). Retryable: the supervisor re-detects the
    // bind addresses before it restarts kubectl.
    kind: 'bind-address-gone',
    pattern: /bind: cannot assign requested address/i,
    permanent: false,
    fix: () =>
      'the Docker bridge address is not on this host any more (docker0 removed or re-created): the tunnel re-detects its bind addresses and retries on its own; `nx run redis-tunnel:restart` re-detects them now, and `ip addr show docker0` shows what the bridge has',
  },
  {
    kind: 'port-in-use',
    pattern: /unable to listen on (?:any of the requested )?ports?|address already in use/i,
    permanent: true,
    fix: (_match, context) => `another process holds port ${context.port}: stop it, or set redis.port in repos_docker_files/config.yaml to a free port`,
  },
  {
    kind: 'cluster-unreachable',
    pattern:
      /Unable to connect to the server|connection to the server .* was refused|dial tcp .*: (?:i\/o timeout|connect: connection refused|no such host)|TLS handshake timeout/i,
    permanent: false,
    fix: () => 'the cluster API cannot be reached: check your VPN / network and `kubectl cluster-info`; the tunnel retries on its own',
  },
  {
    kind: 'pod-not-running',
    pattern: /pod is not running|unable to forward port because pod|does not have a host assigned|no pods? (?:found|available)/i,
    permanent: false,
    fix: (_match, context) => `the Redis pod is not running: check \`kubectl -n ${context.namespace} get pods\`; the tunnel retries on its own`,
  },
  {
    kind: 'connection-lost',
    pattern:
      /lost connection to pod|an error occurred forwarding|error copying from (?:local connection to remote stream|remote stream to local connection)|connection reset by peer|broken pipe|timed out waiting for port-forward/i,
    permanent: false,
    fix: () => 'the forward broke (pod restarted, network blip or idle timeout); the tunnel reconnects on its own',
  },
];

/**
 * The first known problem in kubectl's output, or an 'unknown' one quoting its last error line
 * when the output has an error we do not recognise. undefined when nothing looks wrong.
 */
export function classifyKubectlOutput(output: string, context: ProblemContext): KubectlProblem | undefined {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  for (const rule of RULES) {
    for (const line of lines) {
      const match = line.match(rule.pattern);
      if (match) return { kind: rule.kind, message: line, fix: rule.fix(match, context), permanent: rule.permanent };
    }
  }
  const errorLine = [...lines].reverse().find((line) => /^(error|Error from server|E\d{4} )/.test(line));
  if (!errorLine) return undefined;
  return {
    kind: 'unknown',
    message: errorLine,
    fix: "see logs/redis-tunnel.log for kubectl's full output; `nx run redis-tunnel:restart` forces a reconnect",
    permanent: false,
  };
}

/** kubectl says one listener is up: `Forwarding from 127.0.0.1:6379 -> 6379`. */
export function isReadyLine(line: string): boolean {
  return forwardingAddress(line) !== undefined;
}

/**
 * The local address a "Forwarding from" line announces: `127.0.0.1` for
 * `Forwarding from 127.0.0.1:6379 -> 6379`, `::1` for `Forwarding from [::1]:6379 -> 6379`.
 * kubectl prints one such line per address, as it binds it.
 */
export function forwardingAddress(line: string): string | undefined {
  const match = /^Forwarding from (?:\[([^\]]+)\]|([^\s:]+)):\d+ -> \d+/.exec(line.trim());
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * The addresses of `expected` that no "Forwarding from" line has announced yet. kubectl binds its
 * addresses one after the other (loopback first, then the Docker bridge, sometimes a good fraction
 * of a second later), so the forward is ready only when this is empty: a PING sent to an address
 * kubectl has not bound yet is refused, and would be taken for a broken tunnel. Pure.
 */
export function addressesNotYetForwarding(expected: readonly string[], announced: readonly string[]): string[] {
  return expected.filter((address) => !announced.includes(address));
}

/**
 * A line kubectl prints while running that says the forward may be broken now (the pod went away,
 * or kubectl lost the stream). The supervisor checks at once instead of waiting for the next
 * periodic PING. Per-connection copy errors are not on this list: a client hanging up causes them.
 */
export function isBrokenForwardLine(line: string): boolean {
  return /lost connection to pod|an error occurred forwarding/i.test(line);
}
