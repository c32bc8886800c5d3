/**
 * Filling in IDE debug configs. Pure.
 *
 * Committed debug configs cannot know the host port local-dev assigns to each service's debugger
 * (config.yaml's debug-port is the container side; host ports are handed out from 5726 so two
 * services never clash). So they carry placeholders in double braces, chosen because VS Code's own
 * variables use "${…}" and PyCharm's use "$…$", which we must leave alone:
 *
 *   {{debugHostPort}}            the clone's service with a debugger (the owner, or the only one)
 *   {{debugHostPort:<service>}}  a named service of this clone (e.g. a worker)
 *   {{debugContainerPort}}       the same, container side (also with :<service>)
 *   {{namespace}}                the namespace of the run
 */

export interface DebugPorts {
  /** The clone's owner service; `{{debugHostPort}}` means its port when it has one. */
  owner: string;
  /** Services of this clone that have a debugger, with their ports. */
  ports: ReadonlyMap<string, { hostPort: number; containerPort: number }>;
}

export interface RenderResult {
  content: string;
  problems: string[];
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)(?::([a-z0-9][a-z0-9-]*))?\s*\}\}/g;

export function renderPlaceholders(content: string, file: string, debug: DebugPorts, namespace: string): RenderResult {
  const problems: string[] = [];
  const rendered = content.replace(PLACEHOLDER, (whole, name: string, service: string | undefined, offset: number) => {
    const where = `${file}:${lineAt(content, offset)}`;
    if (name === 'namespace' && service === undefined) return namespace;
    if (name !== 'debugHostPort' && name !== 'debugContainerPort') {
      problems.push(`${where}: unknown placeholder ${whole} (known: {{debugHostPort}}, {{debugHostPort:<service>}}, {{debugContainerPort}}, {{namespace}})`);
      return whole;
    }
    const target = service ?? defaultDebugService(debug);
    const ports = target === undefined ? undefined : debug.ports.get(target);
    if (!ports) {
      const known = [...debug.ports.keys()];
      const why =
        service !== undefined
          ? `service "${service}" of this clone has no debug-port`
          : known.length === 0
            ? 'no service of this clone has a debug-port'
            : `several services of this clone have one (${known.join(', ')}); name it: {{${name}:${known[0]}}}`;
      problems.push(
        `${where}: ${whole} cannot be filled in: ${why}${known.length === 0 || service !== undefined ? ' (set debug-port in repos_docker_files/config.yaml)' : ''}`,
      );
      return whole;
    }
    return String(name === 'debugHostPort' ? ports.hostPort : ports.containerPort);
  });
  return { content: rendered, problems };
}

function defaultDebugService(debug: DebugPorts): string | undefined {
  if (debug.ports.has(debug.owner)) return debug.owner;
  return debug.ports.size === 1 ? [...debug.ports.keys()][0] : undefined;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
