import type { StatsRow } from '../../src/stack/stats';
import { normalizeOptions, renderReading } from './stats.impl';

const row: StatsRow = {
  service: 'a',
  container: 'x_a_1',
  cpuPercent: 1,
  memoryBytes: 1024,
  memoryLimitBytes: 2048,
  memoryPercent: 50,
  netRxBytes: 0,
  netTxBytes: 0,
  restarts: 1,
};

describe('stats executor', () => {
  it('normalizes options with the schema defaults', () => {
    expect(normalizeOptions({})).toEqual({ services: [], watch: false, intervalMs: 2000, json: false, namespace: undefined });
    expect(normalizeOptions({ services: 'a', watch: true, interval: 5 })).toMatchObject({ services: ['a'], watch: true, intervalMs: 5000 });
  });

  it('renders a reading as a table, as JSON, or with a heading (and a cleared screen on a terminal) when watching', () => {
    const at = new Date('2026-11-29T10:00:00Z');
    expect(renderReading([row], { json: false, watch: false }, at, true)).toMatch(/^SERVICE {2}CPU %/);
    expect(JSON.parse(renderReading([row], { json: true, watch: true }, at, true))).toEqual({ at: '2026-11-29T10:00:00.000Z', containers: [row] });
    expect(renderReading([row], { json: false, watch: true }, at, true)).toMatch(/^\u001b\[2J\u001b\[H2026-11-29T10:00:00.000Z/);
    expect(renderReading([row], { json: false, watch: true }, at, false)).toMatch(/^2026-11-29T10:00:00.000Z/);
  });
});
