/**
 * `status` for people: one table of the stack, the tunnel, then every problem with its fix.
 * Pure: the same model always prints the same text.
 */
import type { Problem, ServiceView, StackModel } from './model';
import type { RunProgress } from '../core/run-record';

const MARKS: Record<Problem['severity'], string> = { error: '✖', warning: '⚠', info: '·' };

export function formatStatus(model: StackModel): string {
  const now = new Date(model.generatedAt);
  const header = `local-dev stack — namespace ${model.namespace}, compose project ${model.workspace.composeProject}, network ${model.network.name}${model.network.exists === false ? ' (not created)' : ''}`;
  const rows = [['SERVICE', 'STATE', 'CLONE', 'IMAGE', 'CONTAINER', 'PORTS'], ...model.services.map((service) => serviceRow(service, now))];
  const lines = [header, '', ...table(rows), ''];
  if (model.orphans.length > 0) {
    lines.push(
      `Containers of services no longer in config.yaml: ${model.orphans.map((orphan) => `${orphan.name} (${orphan.status})`).join(', ')} — \`nx run stack:stop\` removes them`,
      '',
    );
  }
  lines.push(...model.tunnel.lines, '');
  if (model.run) lines.push(runLine(model.run, now), '');
  if (model.problems.length === 0) {
    lines.push('No problems: everything runs as built.');
  } else {
    lines.push('Problems:');
    for (const problem of model.problems) {
      lines.push(`  ${MARKS[problem.severity]} ${problem.subject}: ${problem.message}`);
      if (problem.fix) lines.push(`      fix: ${problem.fix}`);
    }
  }
  if (model.services.every((service) => service.state === 'not-cloned')) {
    lines.push('', 'Nothing is cloned yet: `make run` (or `npx nx run-many -t up`) clones, builds and starts the stack.');
  }
  return `${lines.join('\n')}\n`;
}

/** Pure: one line about the current or last run (logs/progress.json). */
export function runLine(run: RunProgress, now: Date): string {
  const tasks = Object.entries(run.tasks);
  if (run.state === 'running') {
    const running = tasks.filter(([, task]) => task.state === 'running').map(([id]) => id);
    const done = tasks.filter(([, task]) => task.state !== 'running').length;
    return `Run in progress: ${run.command} — started ${since(run.startedAt, now)} ago, ${done}/${tasks.length} tasks done${running.length > 0 ? `; running: ${running.join(', ')}` : ''}`;
  }
  const cached = tasks.filter(([, task]) => task.cacheHit).length;
  const took = run.durationMs !== undefined ? `, took ${since(new Date(0).toISOString(), new Date(run.durationMs))}` : '';
  return `Last run: ${run.command} — ${run.state}, ${since(run.finishedAt ?? run.updatedAt, now)} ago${took} (${tasks.length} tasks, ${cached} from cache)`;
}

function serviceRow(service: ServiceView, now: Date): string[] {
  return [service.name, service.state, cloneCell(service), imageCell(service), containerCell(service, now), portsCell(service)];
}

function cloneCell(service: ServiceView): string {
  const { repo } = service;
  if (service.kind === 'worker') return `(${service.owner}'s clone)`;
  if (repo.state === 'missing') return 'not cloned';
  if (repo.state !== 'clone') return repo.state;
  const parts = [repo.branch ?? `detached ${repo.head?.slice(0, 7) ?? ''}`.trim()];
  if (repo.dirty) parts.push(`dirty(${repo.changedFiles})`);
  if (repo.ahead) parts.push(`↑${repo.ahead}`);
  if (repo.behind) parts.push(`↓${repo.behind}`);
  if (service.injection.drifted.length > 0) parts.push('drift');
  return parts.join(' ');
}

function imageCell(service: ServiceView): string {
  const { image, container } = service;
  // Its image plus what dev synced into it: neither current nor merely stale (the live line under the table says more).
  if (container && service.live !== null && service.live.files > 0) return `live+${service.live.files}`;
  if (image.wanted === undefined) return '-';
  if (container && container.image !== image.wanted) return 'STALE';
  if (container && !container.current) return 'STALE(def)';
  return image.exists ? (container ? 'current' : 'built') : 'not built';
}

function containerCell(service: ServiceView, now: Date): string {
  const { container } = service;
  if (!container) return '-';
  const restarts = container.restarts > 0 ? `, ${container.restarts} restarts` : '';
  if (container.status === 'running') {
    const health = container.health ? ` (${container.health})` : '';
    return `up ${since(container.startedAt, now)}${health}${restarts}`;
  }
  if (container.status === 'exited' || container.status === 'dead') {
    return `exited(${container.exitCode}) ${container.finishedAt ? `${since(container.finishedAt, now)} ago` : ''}`.trim() + restarts;
  }
  return container.status + restarts;
}

function portsCell(service: ServiceView): string {
  const ports = service.ports.map((port) => `${port.hostIp ? `${port.hostIp}:` : ''}${port.host}→${port.container}${port.protocol === 'udp' ? '/udp' : ''}`);
  if (service.debugPort) ports.push(`debug ${service.debugPort.host}`);
  return ports.join(' ') || '-';
}

/** "12 s", "5 min", "3 h" since an ISO time. */
export function since(iso: string | undefined, now: Date): string {
  if (!iso) return '?';
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

/** Left-aligned columns, two spaces apart, no trailing blanks. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => [...(row[column] ?? '')].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] + cell.length - [...cell].length)))
      .join('  ')
      .trimEnd(),
  );
}
