/**
 * What Docker says about local-dev's containers and images, read from its machine-readable output
 * (`docker inspect` JSON, `--format '{{json .}}'` lines) — never from the tables it prints for
 * people. Pure parsers: the commands that produce the text live in ./gather.ts.
 */
import { LABELS } from '../docker/naming';

export interface PublishedBinding {
  containerPort: number;
  protocol: string;
  hostIp: string;
  hostPort: number;
}

/** One container as `docker inspect` describes it, reduced to what the stack model needs. */
export interface ContainerFacts {
  id: string;
  /** Without the leading slash Docker puts there. */
  name: string;
  /** io.local-dev.service; '' for a container without it. */
  service: string;
  /** The image reference it was started with (Config.Image), e.g. local-dev/svc-0:0123456789ab. */
  image: string;
  /** created, running, paused, restarting, removing, exited or dead. */
  status: string;
  exitCode: number;
  oomKilled: boolean;
  /** Docker's own healthcheck, when the image or compose file declares one. */
  health: string | undefined;
  /** Restarts made by Docker's restart policy. */
  restartCount: number;
  /** ISO times; undefined when Docker reports its zero time (never started / never finished). */
  startedAt: string | undefined;
  finishedAt: string | undefined;
  /** io.local-dev.definition: the compose entry it was created from. */
  definition: string;
  ports: PublishedBinding[];
}

interface InspectedContainer {
  Id?: string;
  Name?: string;
  State?: { Status?: string; ExitCode?: number; OOMKilled?: boolean; StartedAt?: string; FinishedAt?: string; Health?: { Status?: string } };
  RestartCount?: number;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null };
}

/** Docker's "never" timestamp. */
function realTime(value: string | undefined): string | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  return value;
}

/** Pure: `docker inspect <container…>` output (a JSON array) → facts, in the order given. */
export function parseContainerInspect(json: string): ContainerFacts[] {
  const parsed = JSON.parse(json) as InspectedContainer[];
  return parsed.map((entry) => {
    const labels = entry.Config?.Labels ?? {};
    const ports: PublishedBinding[] = [];
    for (const [key, bindings] of Object.entries(entry.NetworkSettings?.Ports ?? {})) {
      const [port, protocol = 'tcp'] = key.split('/');
      for (const binding of bindings ?? []) {
        ports.push({ containerPort: Number(port), protocol, hostIp: binding.HostIp ?? '', hostPort: Number(binding.HostPort) });
      }
    }
    return {
      id: entry.Id ?? '',
      name: (entry.Name ?? '').replace(/^\//, ''),
      service: labels[LABELS.service] ?? '',
      image: entry.Config?.Image ?? '',
      status: entry.State?.Status ?? 'unknown',
      exitCode: entry.State?.ExitCode ?? 0,
      oomKilled: entry.State?.OOMKilled ?? false,
      health: entry.State?.Health?.Status,
      restartCount: entry.RestartCount ?? 0,
      startedAt: realTime(entry.State?.StartedAt),
      finishedAt: realTime(entry.State?.FinishedAt),
      definition: labels[LABELS.definition] ?? '',
      ports,
    };
  });
}

/** Pure: `--format '{{json .}}'` output, one JSON object per line → the objects. */
export function parseJsonLines<T>(output: string): T[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Pure: `docker images --format '{{json .}}'` output → the "repository:tag" references listed. */
export function parseImageReferences(output: string): Set<string> {
  return new Set(parseJsonLines<{ Repository?: string; Tag?: string }>(output).map((image) => `${image.Repository}:${image.Tag}`));
}

/** Pure: `docker ps --format '{{json .}}'` output → container ids. */
export function parseContainerIds(output: string): string[] {
  return parseJsonLines<{ ID?: string }>(output)
    .map((container) => container.ID ?? '')
    .filter(Boolean);
}
