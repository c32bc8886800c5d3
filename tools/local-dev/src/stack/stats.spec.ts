import { statsReading } from '../docker/queries';
import { cpuPercentBetween, formatBytes, formatStats, parsePair, parseSize, statsRows } from './stats';

describe('stats', () => {
  it("parses docker's sizes, decimal and binary", () => {
    expect(parseSize('0B')).toBe(0);
    expect(parseSize('1.27kB')).toBeCloseTo(1270);
    expect(parseSize('468KiB')).toBe(468 * 1024);
    expect(parseSize('23.54GiB')).toBeCloseTo(23.54 * 1024 ** 3);
    expect(parseSize('lots')).toBeNaN();
    expect(parsePair('468KiB / 23.54GiB')).toEqual([468 * 1024, expect.closeTo(23.54 * 1024 ** 3)]);
  });

  it('turns docker stats JSON lines into rows with service and restarts, sorted by service', () => {
    const output = [
      '{"ID":"bbbb2222","CPUPerc":"1.50%","MemUsage":"2MiB / 1GiB","MemPerc":"0.20%","NetIO":"1.27kB / 297B","Name":"x_svc-1_1"}',
      '{"ID":"aaaa1111","CPUPerc":"0.01%","MemUsage":"468KiB / 1GiB","MemPerc":"0.04%","NetIO":"0B / 0B","Name":"x_svc-0_1"}',
    ].join('\n');
    const containers = new Map([
      ['aaaa1111ffff', { service: 'svc-0', name: 'x_svc-0_1', restarts: 0 }],
      ['bbbb2222ffff', { service: 'svc-1', name: 'x_svc-1_1', restarts: 3 }],
    ]);
    const rows = statsRows(output, containers);
    expect(rows.map((row) => [row.service, row.cpuPercent, row.memoryBytes, row.netRxBytes, row.netTxBytes, row.restarts])).toEqual([
      ['svc-0', 0.01, 468 * 1024, 0, 0, 0],
      ['svc-1', 1.5, 2 * 1024 ** 2, 1270, 297, 3],
    ]);
    expect(formatStats(rows)).toBe(
      [
        'SERVICE  CPU %  MEM USE / LIMIT      MEM %  NET RX / TX      RESTARTS',
        'svc-0    0.01   468.0 KiB / 1.0 GiB  0.04   0 B / 0 B        0',
        'svc-1    1.50   2.0 MiB / 1.0 GiB    0.20   1.2 KiB / 297 B  3',
        '',
      ].join('\n'),
    );
  });

  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(Number.NaN)).toBe('?');
  });

  it('one-shot readings: memory without the page cache, as docker stats shows it; CPU from two readings, in % of one core', () => {
    // Shaped as the engine's /containers/<id>/stats?one-shot=true answers (cgroup v1; v2 says inactive_file).
    const reading = (totalUsage: number, systemUsage: number) =>
      statsReading({
        cpu_stats: { cpu_usage: { total_usage: totalUsage }, system_cpu_usage: systemUsage, online_cpus: 2 },
        memory_stats: { usage: 10_000_000, limit: 2_000_000_000, stats: { total_inactive_file: 4_000_000 } },
        networks: { eth0: { rx_bytes: 100, tx_bytes: 50 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
      });
    const before = reading(1e9, 100e9);
    expect(before).toEqual({
      containerCpuNs: 1e9,
      systemCpuNs: 100e9,
      onlineCpus: 2,
      memoryBytes: 6_000_000,
      memoryLimitBytes: 2_000_000_000,
      netRxBytes: 101,
      netTxBytes: 52,
    });
    // 0.5 s of CPU while the host's 2 cores together spent 10 s: 5 % of the host, 10 % of one core.
    expect(cpuPercentBetween(before, reading(1.5e9, 110e9))).toBeCloseTo(10);
    // Restarted in between (its counter began again): no figure rather than a negative one.
    expect(cpuPercentBetween(before, reading(0.1e9, 110e9))).toBe(0);
    expect(statsReading({ memory_stats: { usage: 5, stats: { inactive_file: 2 } } })).toMatchObject({ memoryBytes: 3, onlineCpus: 1 });
  });
});
