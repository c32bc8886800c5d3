/**
 * redis-server's own words → what went wrong and what the user should do, for the local Redis
 * (config.yaml `redis.mode: local`). Pure; the counterpart of kubectl-errors.ts.
 *
 * redis-server logs everything to stdout (`# Warning: Could not create server TCP listening socket
 * 127.0.0.1:6379: bind: Address already in use`, then `Failed listening on port 6379 (TCP),
 * aborting.`), so the whole output is classified, not only stderr.
 */
import type { KubectlProblem, ProblemContext } from './kubectl-errors';

/** The one line redis-server prints once it listens on every address it was given. */
export function isRedisReadyLine(line: string): boolean {
  return /Ready to accept connections/.test(line);
}

export const INSTALL_REDIS_FIX =
  'install redis-server (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`; `bash scripts/setup-machine.sh` does it) and make sure it is on PATH';

interface Rule {
  kind: KubectlProblem['kind'];
  pattern: RegExp;
  permanent: boolean;
  fix: (context: ProblemContext) => string;
}

const RULES: Rule[] = [
  {
    // docker0 removed or re-created between detecting it and binding it: re-detect and retry.
    kind: 'bind-address-gone',
    pattern: /Could not create server TCP listening socket .*Cannot assign requested address/i,
    permanent: false,
    fix: () =>
      'the Docker bridge address is not on this host any more (docker0 removed or re-created): local-dev re-detects the bind addresses and retries on its own; `ip addr show docker0` shows the bridge',
  },
  {
    kind: 'port-in-use',
    pattern: /Could not create server TCP listening socket .*Address already in use/i,
    permanent: true,
    fix: (context) =>
      `another program holds port ${context.port} (often the system's own redis-server service): stop it, or set redis.port in repos_docker_files/config.yaml to a free port; local-dev never kills processes it did not start`,
  },
  {
    kind: 'unknown',
    pattern: /FATAL CONFIG FILE ERROR|Bad directive|wrong number of arguments/i,
    permanent: true,
    fix: () => 'this redis-server does not understand the options local-dev gives it (it needs Redis 6 or newer): check `redis-server --version`',
  },
];

/** The first known problem in redis-server's output, or undefined when nothing looks wrong. */
export function classifyRedisServerOutput(output: string, context: ProblemContext): KubectlProblem | undefined {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  for (const rule of RULES) {
    const line = lines.find((candidate) => rule.pattern.test(candidate));
    // redis-server prefixes its lines with "<pid>:M <date> # ": the user needs only the message.
    if (line) return { kind: rule.kind, message: line.replace(/^\d+:[A-Z] [^#*.-]*[#*.-] /, ''), fix: rule.fix(context), permanent: rule.permanent };
  }
  return undefined;
}
