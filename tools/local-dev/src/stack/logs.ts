/**
 * Logs of one, several or all services, interleaved with a coloured service prefix.
 *
 * Several services' lines (stdout and stderr, `docker logs --timestamps`) are merged by their
 * timestamp, so the output reads in the order things happened across services: without --follow
 * by sorting the --tail lines of each, with --follow as they stream, in constant memory
 * (./logs-follow.ts). One service alone is piped through as it comes, without a prefix, as
 * `docker logs` would print it.
 */
import { UsageError } from '../core/errors';
import { exec } from '../core/exec';
import { workspaceContainers, type LabelledContainer } from '../docker/cli';
import { mergeStreaming, pipeOne, sortableTime, type LogsOutput, type TimedLine } from './logs-follow';

export interface LogsRequest {
  workspaceRoot: string;
  services: string[];
  follow: boolean;
  tail: number;
  since: string | undefined;
  colour: boolean;
  /** Where the logs go; a stream that stops reading pauses `docker logs` (nothing piles up in memory). */
  output: LogsOutput;
}

/** 256-colour-safe ANSI colours that read on dark and light terminals. */
const COLOURS = [36, 33, 35, 32, 34, 31, 96, 93, 95, 92, 94, 91];

/** Pure: "svc-0     | " per service, padded to the longest name, coloured when asked. */
export function prefixes(services: readonly string[], colour: boolean): Map<string, string> {
  const width = Math.max(...services.map((service) => service.length));
  return new Map(
    services.map((service, index) => {
      const text = `${service.padEnd(width)} | `;
      return [service, colour ? `\u001b[${COLOURS[index % COLOURS.length]}m${text}\u001b[0m` : text];
    }),
  );
}

/** Pure: the `docker logs` arguments. */
export function logsArgs(containerId: string, options: { follow: boolean; tail: number; since: string | undefined; timestamps: boolean }): string[] {
  return [
    'logs',
    ...(options.follow ? ['--follow'] : []),
    ...(options.timestamps ? ['--timestamps'] : []),
    '--tail',
    String(options.tail),
    ...(options.since ? ['--since', options.since] : []),
    containerId,
  ];
}

/** Pure: `docker logs --timestamps` text → lines with their time split off. */
export function timedLines(service: string, stream: 'stdout' | 'stderr', output: string): TimedLine[] {
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.indexOf(' ');
      return space > 0 ? { service, stream, time: line.slice(0, space), text: line.slice(space + 1) } : { service, stream, time: '', text: line };
    });
}

/** Pure: every service's lines in time order (stable: equal times keep their service's order). */
export function mergeByTime(lines: readonly TimedLine[]): TimedLine[] {
  return lines
    .map((line, index) => ({ line, index, time: sortableTime(line.time) }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.index - b.index))
    .map(({ line }) => line);
}

/** The container of each service (a running one first); refuses when none of them has one. */
export function containersToShow(services: readonly string[], containers: readonly LabelledContainer[]): { shown: Map<string, string>; missing: string[] } {
  const shown = new Map<string, string>();
  for (const service of services) {
    const mine = containers.filter((container) => container.service === service);
    const chosen = mine.find((container) => container.state === 'running') ?? mine[0];
    if (chosen) shown.set(service, chosen.id);
  }
  const missing = services.filter((service) => !shown.has(service));
  if (shown.size === 0) {
    throw new UsageError(
      `${services.length === 1 ? `${services[0]} has no container` : 'no service of this workspace has a container'}: there are no logs to show`,
      {
        fix: services.length === 1 ? `start it: \`nx run ${services[0]}:up\`` : 'start the stack first: `make run` (or `npx nx run-many -t up`)',
      },
    );
  }
  return { shown, missing };
}

export async function showLogs(request: LogsRequest): Promise<void> {
  const { shown, missing } = containersToShow(request.services, await workspaceContainers(request.workspaceRoot));
  if (missing.length > 0) request.output.stderr.write(`(no container, so no logs: ${missing.join(', ')})\n`);
  if (shown.size === 1 && request.services.length === 1) {
    const [id] = shown.values();
    await pipeOne(logsArgs(id, { ...request, timestamps: false }), request.output);
    return;
  }
  const prefix = prefixes([...shown.keys()], request.colour);
  if (request.follow) {
    const followers = new Map([...shown].map(([service, id]) => [service, logsArgs(id, { ...request, timestamps: true })]));
    await mergeStreaming({ followers, prefix, output: request.output });
    return;
  }
  // Without --follow each service gives at most --tail lines: sorting them all at once is bounded.
  const outputs = await Promise.all(
    [...shown].map(async ([service, id]) => ({ service, result: await exec('docker', logsArgs(id, { ...request, timestamps: true })) })),
  );
  const lines = mergeByTime(
    outputs.flatMap(({ service, result }) => [...timedLines(service, 'stdout', result.stdout), ...timedLines(service, 'stderr', result.stderr)]),
  );
  for (const line of lines) request.output[line.stream].write(`${prefix.get(line.service)}${line.text}\n`);
}

/** Colour when writing to a terminal (or when FORCE_COLOR asks), never when NO_COLOR is set. */
export function wantsColour(environment: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (environment.NO_COLOR !== undefined && environment.NO_COLOR !== '') return false;
  if (environment.FORCE_COLOR !== undefined) return environment.FORCE_COLOR !== '0' && environment.FORCE_COLOR !== 'false';
  return isTty;
}
