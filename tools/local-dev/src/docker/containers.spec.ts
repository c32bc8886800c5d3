import type { ServiceModel } from '../config/model';
import { execFileSync } from 'node:child_process';
import { healthEndpoint, isCurrent, parseNetworkLines, publishedHostPort } from './containers';

describe('containers', () => {
  it("lists the networks of exactly one name, oldest first (docker's name filter matches substrings)", () => {
    const output = [
      'b2\toh-network\t2026-11-29 18:25:01.200000000 +0000 UTC',
      'c3\toh-network-2\t2026-11-29 18:00:00.000000000 +0000 UTC',
      'a1\toh-network\t2026-11-29 18:25:01.100000000 +0000 UTC',
      '',
    ].join('\n');
    expect(parseNetworkLines(output, 'oh-network')).toEqual([
      { id: 'a1', created: '2026-11-29 18:25:01.100000000 +0000 UTC' },
      { id: 'b2', created: '2026-11-29 18:25:01.200000000 +0000 UTC' },
    ]);
  });

  it('treats a container as current only when running the same image and definition', () => {
    const running = { id: 'abc', image: 'local-dev/a:1', state: 'running', definition: 'd' };
    expect(isCurrent(running, 'local-dev/a:1', 'd')).toBe(true);
    expect(isCurrent(running, 'local-dev/a:2', 'd')).toBe(false);
    expect(isCurrent(running, 'local-dev/a:1', 'e')).toBe(false);
    expect(isCurrent({ ...running, state: 'exited' }, 'local-dev/a:1', 'd')).toBe(false);
    expect(isCurrent(undefined, 'local-dev/a:1', 'd')).toBe(false);
  });

  it('finds where a healthcheck port is published on the host', () => {
    const service = {
      ports: [
        { host: 18000, container: 8000, protocol: 'tcp' },
        { hostIp: '127.0.0.2', host: 9, container: 90, protocol: 'tcp' },
      ],
    } as ServiceModel;
    expect(publishedHostPort(service, 8000)).toEqual({ host: '127.0.0.1', port: 18000 });
    expect(publishedHostPort(service, 90)).toEqual({ host: '127.0.0.2', port: 9 });
    expect(publishedHostPort(service, 7000)).toBeUndefined();
  });

  describe('where a healthcheck connects (up and restart alike), on a real container', () => {
    let id = '';
    beforeAll(() => {
      id = execFileSync('docker', ['run', '-d', '--rm', 'busybox:1.36', 'sleep', '60'], { encoding: 'utf8' }).trim();
    });
    afterAll(() => {
      if (id) execFileSync('docker', ['rm', '--force', id]);
    });
    const service = (ports: ServiceModel['ports']) =>
      ({ name: 'api', ports, healthcheck: { type: 'tcp', port: 8000, timeoutSeconds: 5 } }) as unknown as ServiceModel;

    it("connects to the container's own address when this machine reaches it", async () => {
      const endpoint = await healthEndpoint(service([]), id, 'bridge');
      expect(endpoint).toMatchObject({ port: 8000, viaProxy: false });
      expect(endpoint.host).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    });

    it('falls back to the published port; with neither, says so instead of asking whatever listens on 127.0.0.1', async () => {
      await expect(healthEndpoint(service([{ host: 18000, container: 8000, protocol: 'tcp' }]), id, 'no-such-network')).resolves.toEqual({
        host: '127.0.0.1',
        port: 18000,
        viaProxy: true,
      });
      await expect(healthEndpoint(service([]), id, 'no-such-network')).rejects.toThrow(
        "api's container has no address on network no-such-network, and port 8000 is not published",
      );
    });
  });
});
