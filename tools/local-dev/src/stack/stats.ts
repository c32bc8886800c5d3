/**
 * stats: CPU, memory, network I/O and restart count of this workspace's running containers (by
 * its label: never another checkout's or the user's own), from `docker stats --no-stream
 * --format '{{json .}}'` and `docker inspect`. The parsers and the table are pure.
 */
import { UsageError } from '../core/errors';
import { localEngineSocket } from '../docker/engine';
import { statsOnce, type StatsReading } from '../docker/queries';
import { parseContainerInspect } from './docker-facts';
import { docker, parseJsonLines, workspaceContainers } from '../docker/cli';
import { table } from './status-text';

export interface StatsRow {
  service: string;
  container: string;
  /** Percent of one CPU (docker's figure: 150 = one and a half cores). */
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  memoryPercent: number;
  netRxBytes: number;
  netTxBytes: number;
  restarts: number;
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** Pure: "1.5MiB", "12.3kB", "0B" → bytes; NaN for anything else. */
export function parseSize(text: string): number {
  const match = /^\s*([\d.]+)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!match) return Number.NaN;
  const unit = UNITS[match[2].toLowerCase()];
  return unit === undefined ? Number.NaN : Number(match[1]) * unit;
}

/** Pure: "a / b" → [a, b] in bytes. */
export function parsePair(text: string | undefined): [number, number] {
  const [left = '', right = ''] = (text ?? '').split('/');
  return [parseSize(left), parseSize(right)];
}

interface DockerStatsLine {
  ID?: string;
  Container?: string;
  Name?: string;
  CPUPerc?: string;
  MemUsage?: string;
  MemPerc?: string;
  NetIO?: string;
}

/** Pure: docker stats' JSON lines + the service and restart count of each container → rows, sorted by service. */
export function statsRows(output: string, containers: ReadonlyMap<string, { service: string; name: string; restarts: number }>): StatsRow[] {
  return parseJsonLines<DockerStatsLine>(output)
    .map((line) => {
      const id = line.ID ?? line.Container ?? '';
      const known = [...containers.entries()].find(([full]) => full.startsWith(id))?.[1];
      const [memoryBytes, memoryLimitBytes] = parsePair(line.MemUsage);
      const [netRxBytes, netTxBytes] = parsePair(line.NetIO);
      return {
        service: known?.service ?? '?',
        container: known?.name ?? line.Name ?? id,
        cpuPercent: Number.parseFloat(line.CPUPerc ?? ''),
        memoryBytes,
        memoryLimitBytes,
        memoryPercent: Number.parseFloat(line.MemPerc ?? ''),
        netRxBytes,
        netTxBytes,
        restarts: known?.restarts ?? 0,
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service));
}

/** Pure: bytes → "1.5 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatStats(rows: readonly StatsRow[]): string {
  const lines = table([
    ['SERVICE', 'CPU %', 'MEM USE / LIMIT', 'MEM %', 'NET RX / TX', 'RESTARTS'],
    ...rows.map((row) => [
      row.service,
      Number.isFinite(row.cpuPercent) ? row.cpuPercent.toFixed(2) : '?',
      `${formatBytes(row.memoryBytes)} / ${formatBytes(row.memoryLimitBytes)}`,
      Number.isFinite(row.memoryPercent) ? row.memoryPercent.toFixed(2) : '?',
      `${formatBytes(row.netRxBytes)} / ${formatBytes(row.netTxBytes)}`,
      String(row.restarts),
    ]),
  ]);
  return `${lines.join('\n')}\n`;
}

/** One reading of the chosen services' running containers; refuses when none of them runs. */
export async function readStats(workspaceRoot: string, services: readonly string[]): Promise<StatsRow[]> {
  const chosen = new Set(services);
  const running = (await workspaceContainers(workspaceRoot, { running: true })).filter((container) => chosen.has(container.service));
  if (running.length === 0) {
    throw new UsageError(`no container of ${services.length === 1 ? services[0] : 'this workspace'} is running`, {
      fix: 'start the stack first: `make run` (or `npx nx run-many -t up`); `nx run stack:status` shows how it stands',
    });
  }
  const ids = running.map((container) => container.id);
  const [inspected, stats] = await Promise.all([
    docker(['inspect', '--type', 'container', ...ids]),
    docker(['stats', '--no-stream', '--no-trunc', '--format', '{{json .}}', ...ids], 30_000),
  ]);
  const details = new Map(
    parseContainerInspect(inspected.stdout).map((container) => [
      container.id,
      { service: container.service, name: container.name, restarts: container.restartCount },
    ]),
  );
  return statsRows(stats.stdout, details);
}

/** Pure: % of one core a container used between two readings (docker's figure: 150 = one and a half cores). */
export function cpuPercentBetween(before: StatsReading, after: StatsReading): number {
  const container = after.containerCpuNs - before.containerCpuNs;
  const system = after.systemCpuNs - before.systemCpuNs;
  // A restarted container starts its counter again: no figure for that interval.
  if (system <= 0 || container < 0) return 0;
  return (container / system) * after.onlineCpus * 100;
}

/**
 * Readings for the dashboard's graphs, one `one-shot` stats request per running container over
 * the engine's socket (no process, no one-second wait in the engine): CPU is the change since the
 * previous reading of the same container, so a container's first reading gives no row. Without a
 * local socket (a remote engine), `docker stats --no-stream` answers instead (readStats).
 */
export class StatsSampler {
  private previous = new Map<string, StatsReading>();

  constructor(private readonly workspaceRoot: string) {}

  async sample(containers: readonly { service: string; id: string; restarts: number }[]): Promise<StatsRow[]> {
    if (containers.length === 0) return [];
    if (localEngineSocket() === undefined) {
      try {
        return await readStats(
          this.workspaceRoot,
          containers.map((container) => container.service),
        );
      } catch (error) {
        // None of them runs any more: for a graph that is simply no new point.
        if (error instanceof UsageError) return [];
        throw error;
      }
    }
    const readings = await Promise.all(containers.map((container) => statsOnce(container.id)));
    const next = new Map<string, StatsReading>();
    const rows: StatsRow[] = [];
    containers.forEach((container, index) => {
      const reading = readings[index];
      if (!reading) return;
      next.set(container.id, reading);
      const before = this.previous.get(container.id);
      if (!before) return;
      rows.push({
        service: container.service,
        container: container.id,
        cpuPercent: cpuPercentBetween(before, reading),
        memoryBytes: reading.memoryBytes,
        memoryLimitBytes: reading.memoryLimitBytes,
        memoryPercent: reading.memoryLimitBytes > 0 ? (reading.memoryBytes / reading.memoryLimitBytes) * 100 : Number.NaN,
        netRxBytes: reading.netRxBytes,
        netTxBytes: reading.netTxBytes,
        restarts: container.restarts,
      });
    });
    this.previous = next;
    return rows;
  }
}
