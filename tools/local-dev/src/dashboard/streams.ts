/**
 * The two live text streams of the page: the containers' logs (`docker logs --follow`, chosen as
 * `stack:logs` chooses them) and the current run's build output (logs/build_output.log, followed
 * as it grows). Each is stopped by the function it returns, when the browser goes away.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { buildOutputFile } from '../core/run-record';
import type { WorkspacePaths } from '../core/workspace';
import { workspaceContainers } from '../stack/engine';
import { containersToShow, LineSplitter, logsArgs } from '../stack/logs';

export interface LogLine {
  service: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Lines shown from before the page opened. */
export const LOG_TAIL = 200;

/**
 * Follows the logs of `services` (their containers, a running one first). Throws the UsageError of
 * `stack:logs` when none of them has a container. `ended` is called once every follower has ended. `docker logs` runs as a child we can end (the
 * exec helper waits for its end, which never comes with --follow).
 */
export async function followLogs(workspaceRoot: string, services: readonly string[], send: (line: LogLine) => void, ended: () => void): Promise<() => void> {
  const { shown, missing } = containersToShow(services, await workspaceContainers(workspaceRoot));
  let closed = 0;
  for (const service of missing) send({ service, stream: 'stderr', text: '(no container, so no logs)' });
  const children = [...shown].map(([service, id]) => {
    const child = spawn('docker', logsArgs(id, { follow: true, tail: LOG_TAIL, since: undefined, timestamps: false }), { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of ['stdout', 'stderr'] as const) {
      const splitter = new LineSplitter();
      child[stream].on('data', (chunk: Buffer) => splitter.push(chunk.toString()).forEach((text) => send({ service, stream, text })));
      child[stream].on('end', () => splitter.flush().forEach((text) => send({ service, stream, text })));
    }
    child.on('error', (error) => send({ service, stream: 'stderr', text: `(docker logs failed: ${error.message})` }));
    // A stopped container ends its `docker logs --follow`: once all have ended, the browser reconnects and follows the new ones.
    child.on('close', () => {
      if (++closed === shown.size) ended();
    });
    return child;
  });
  return () => children.forEach((child) => child.kill('SIGTERM'));
}

/** Pure: what to send when the file went from `before` to `now`: the new tail, or the whole text when it was replaced. */
export function outputChange(before: string, now: string): { reset: boolean; text: string } | undefined {
  if (now === before) return undefined;
  if (now.startsWith(before)) return { reset: false, text: now.slice(before.length) };
  return { reset: true, text: now };
}

/** Follows logs/build_output.log (checked every `intervalMs`), sending its text, then each change. */
export function followBuildOutput(paths: WorkspacePaths, send: (change: { reset: boolean; text: string }) => void, intervalMs = 1000): () => void {
  const file = buildOutputFile(paths);
  let seen = '';
  let stamp = '';
  const read = () => {
    let now: string;
    try {
      const stat = statSync(file);
      const next = `${stat.mtimeMs}:${stat.size}`;
      if (next === stamp) return;
      stamp = next;
      now = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        // Unreadable (permissions): said on the page, and tried again next time.
        send({ reset: true, text: `(cannot read ${file}: ${(error as Error).message})\n` });
        stamp = '';
        return;
      }
      now = '';
    }
    const change = outputChange(seen, now);
    seen = now;
    if (change) send(change);
  };
  read();
  const timer = setInterval(read, intervalMs);
  return () => clearInterval(timer);
}
