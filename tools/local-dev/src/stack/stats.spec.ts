import { formatBytes, formatStats, parsePair, parseSize, statsRows } from './stats';

describe('stats', () => {
  it('parses docker\'s sizes, decimal and binary', () => {
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
});
