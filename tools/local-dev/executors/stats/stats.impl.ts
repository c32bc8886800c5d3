/** stats: one reading of this workspace's running containers, or one every few seconds with --watch (src/stack/stats.ts). */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { openWorkspace } from '../../src/stack/gather';
import { selectServices, splitServiceList } from '../../src/stack/select';
import { formatStats, readStats, type StatsRow } from '../../src/stack/stats';
import type { StatsExecutorSchema } from './schema';

export interface NormalizedStatsOptions {
  services: string[];
  watch: boolean;
  intervalMs: number;
  json: boolean;
  namespace: string | undefined;
}

export function normalizeOptions(options: StatsExecutorSchema): NormalizedStatsOptions {
  return {
    services: splitServiceList(options.services),
    watch: options.watch ?? false,
    intervalMs: (options.interval ?? 2) * 1000,
    json: options.json ?? false,
    namespace: options.namespace,
  };
}

/** Pure: one reading as printed. */
export function renderReading(rows: readonly StatsRow[], options: Pick<NormalizedStatsOptions, 'json' | 'watch'>, at: Date, clearScreen: boolean): string {
  if (options.json) return `${JSON.stringify({ at: at.toISOString(), containers: rows })}\n`;
  const heading = options.watch ? `${clearScreen ? '\u001b[2J\u001b[H' : ''}${at.toISOString()} (every reading until Ctrl-C)\n` : '';
  return heading + formatStats(rows);
}

export default async function statsExecutor(options: StatsExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const services = selectServices(openWorkspace(context.root, normalized.namespace).model, normalized.services);
    for (;;) {
      const rows = await readStats(context.root, services);
      process.stdout.write(renderReading(rows, normalized, new Date(), process.stdout.isTTY === true));
      if (!normalized.watch) return;
      await new Promise((resolve) => setTimeout(resolve, normalized.intervalMs));
    }
  });
}
