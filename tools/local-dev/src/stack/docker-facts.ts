/**
 * What Docker says about local-dev's containers and images, read from its machine-readable output
 * (`docker inspect` JSON, `--format '{{json .}}'` lines) — never from the tables it prints for
 * people. Pure parsers: the commands that produce the text live in ./gather.ts.
 */
import { constants } from 'node:os';
import { LABELS } from '../core/naming';
import type { EngineEvent } from '../docker/events';

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
  /** Why the engine could not start or run it ("port is already allocated" …); '' when none. */
  error: string;
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
  /**
   * How its last life ended, from the engine's recent events (gather.ts adds it for a container
   * that is not running); undefined when running, or when the engine no longer remembers its death.
   */
  end?: EndEvents;
}

/** What the engine's events tell about the end of a container's last life. */
export interface EndEvents {
  /** Signals sent to it through the engine before it died, in order (`docker stop`: SIGTERM, then SIGKILL after the timeout). */
  signals: string[];
  /** The engine logged "stop" after the death: `docker stop` (compose stop, `docker restart`), not `docker kill`. */
  stopCommand: boolean;
  /** The kernel's OOM killer hit it. */
  oom: boolean;
}

interface InspectedContainer {
  Id?: string;
  Name?: string;
  State?: { Status?: string; ExitCode?: number; OOMKilled?: boolean; Error?: string; StartedAt?: string; FinishedAt?: string; Health?: { Status?: string } };
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
  return containerFacts(JSON.parse(json) as unknown[]);
}

/** Pure: inspected containers (the engine's objects, as the API and `docker inspect` give them) → facts. */
export function containerFacts(inspected: readonly unknown[]): ContainerFacts[] {
  return (inspected as InspectedContainer[]).map((entry) => {
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
      error: entry.State?.Error ?? '',
      health: entry.State?.Health?.Status,
      restartCount: entry.RestartCount ?? 0,
      startedAt: realTime(entry.State?.StartedAt),
      finishedAt: realTime(entry.State?.FinishedAt),
      definition: labels[LABELS.definition] ?? '',
      ports,
    };
  });
}

/** Pure: "15", "SIGTERM" or "term" (as engines of different ages write a kill's signal) → "SIGTERM". */
export function signalName(value: string | number): string {
  const number = Number(value);
  if (Number.isInteger(number)) return Object.entries(constants.signals).find(([, code]) => code === number)?.[0] ?? `signal ${number}`;
  const name = String(value).toUpperCase();
  return name.startsWith('SIG') ? name : `SIG${name}`;
}

/**
 * Pure: a container's events → how its last life ended, or undefined when its death is not among
 * them (the engine keeps only its last 256 events, none across its own restart). A start begins a
 * new life; signals sent and an OOM kill count towards the next death; "stop" follows a death
 * that `docker stop` caused.
 */
export function endOfLastLife(events: readonly EngineEvent[], id: string): EndEvents | undefined {
  let signals: string[] = [];
  let oom = false;
  let end: EndEvents | undefined;
  for (const event of [...events].filter((candidate) => candidate.Actor.ID === id).sort((a, b) => a.timeNano - b.timeNano)) {
    if (event.Action === 'start') {
      signals = [];
      oom = false;
      end = undefined;
    } else if (event.Action === 'kill') {
      const signal = event.Actor.Attributes?.signal;
      signals.push(signal ? signalName(signal) : 'a signal');
    } else if (event.Action === 'oom') {
      oom = true;
    } else if (event.Action === 'die') {
      end = { signals, stopCommand: false, oom };
      signals = [];
      oom = false;
    } else if (event.Action === 'stop' && end) {
      end.stopCommand = true;
    }
  }
  return end;
}
