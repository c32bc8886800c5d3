/**
 * findDockerBridgeGateway against tiny real programs playing `ip` (a hung one, a missing one, one
 * that answers), so the timeout is proven on a real process, and against the real Docker engine
 * when `ip` is missing. Each platform's answer is tested with the platform passed in.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TunnelError } from '../core/errors';
import { bridgeGatewayFromNetwork, containersReachHostThrough, findDockerBridgeGateway, isAddressOfThisHost } from './host';

let dir: string;
const noInterfaces = () => ({});

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'local-dev-host-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeIp(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('findDockerBridgeGateway', () => {
  it('gives up on an `ip` that never answers, with an error naming it, instead of holding the run', async () => {
    // exec replaces the shell, so the timeout's SIGKILL ends the sleeping process itself.
    const ip = fakeIp('ip-hangs', 'exec sleep 30');
    const started = Date.now();
    const failure = findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip, timeoutMs: 300 });
    await expect(failure).rejects.toThrow(TunnelError);
    await expect(failure).rejects.toThrow(`\`${ip} -o -4 addr show dev docker0\` did not answer within 300 ms`);
    // Generous: only "not the 30 s the fake would take" matters here.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reads docker0\'s address from `ip`, and means "no bridge" when `ip` finds no docker0', async () => {
    const notAsked = async () => {
      throw new Error('the engine is asked only when `ip` is not installed');
    };
    const answers = fakeIp('ip-answers', 'echo "5: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0"');
    expect(await findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip: answers, engineGateway: notAsked })).toBe('172.17.0.1');
    const noDocker0 = fakeIp('ip-no-docker0', 'echo \'Device "docker0" does not exist.\' >&2; exit 1');
    expect(await findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip: noDocker0, engineGateway: notAsked })).toBeUndefined();
  });

  it("without `ip` installed, takes the real engine's bridge gateway (docker network inspect bridge)", async () => {
    // What `ip` would have said (it is installed here, so the answer can be checked).
    const docker0 = /inet (\S+)\//.exec(spawnSync('ip', ['-o', '-4', 'addr', 'show', 'dev', 'docker0'], { encoding: 'utf8' }).stdout)?.[1];
    expect(docker0).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip: path.join(dir, 'no-such-ip') })).toBe(docker0);
  });

  it('without `ip`, binds no bridge the engine names that is not an address of this host (rootless Docker, an engine in a VM)', async () => {
    // Stands in for an engine whose bridge lives elsewhere, which cannot exist here; 192.0.2.1 is a documentation address.
    const elsewhere = async () => '192.0.2.1';
    expect(
      await findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip: path.join(dir, 'no-such-ip'), engineGateway: elsewhere }),
    ).toBeUndefined();
    expect(
      await findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip: path.join(dir, 'no-such-ip'), engineGateway: async () => undefined }),
    ).toBeUndefined();
    expect([await isAddressOfThisHost('127.0.0.1'), await isAddressOfThisHost('192.0.2.1')]).toEqual([true, false]);
  });

  it("takes docker0 from Node when it is up, and binds no bridge on macOS, where the engine's VM forwards to loopback", async () => {
    const interfaces = () => ({ docker0: [{ address: '172.18.0.1', netmask: '255.255.0.0', family: 'IPv4' as const, mac: '', internal: false, cidr: null }] });
    expect(await findDockerBridgeGateway({ platform: 'linux', interfaces, ip: path.join(dir, 'never-called') })).toBe('172.18.0.1');
    const never = async () => {
      throw new Error('macOS asks nothing');
    };
    expect(await findDockerBridgeGateway({ platform: 'darwin', interfaces, ip: path.join(dir, 'never-called'), engineGateway: never })).toBeUndefined();
  });
});

describe('where containers reach this host (pure, platform passed in)', () => {
  it.each([
    ['linux', 'docker-bridge'],
    ['darwin', 'loopback'],
    ['win32', 'loopback'],
  ] as const)('%s: through the %s', (platform, via) => {
    expect(containersReachHostThrough(platform).via).toBe(via);
  });

  it('says why loopback is enough on macOS', () => {
    expect(containersReachHostThrough('darwin')).toEqual({
      via: 'loopback',
      why: "Docker Desktop, OrbStack and colima forward host.docker.internal (host-gateway) to this Mac's loopback",
    });
  });

  it("reads the bridge gateway from the engine's network answer (the first IPv4 one)", () => {
    expect(
      bridgeGatewayFromNetwork({
        Name: 'bridge',
        IPAM: {
          Config: [
            { Subnet: 'fd00::/64', Gateway: 'fd00::1' },
            { Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' },
          ],
        },
      }),
    ).toBe('172.17.0.1');
    // Docker 20.10 leaves the default bridge's Gateway out: the engine gives docker0 the subnet's first address.
    expect(bridgeGatewayFromNetwork({ Name: 'bridge', IPAM: { Config: [{ Subnet: '172.17.0.0/16' }] } })).toBe('172.17.0.1');
    expect(bridgeGatewayFromNetwork({ Name: 'bridge', IPAM: { Config: [{ Subnet: '10.200.3.0/24' }] } })).toBe('10.200.3.1');
    expect(bridgeGatewayFromNetwork({ Name: 'bridge', IPAM: { Config: [{ Subnet: 'fd00::/64' }] } })).toBeUndefined();
    expect(bridgeGatewayFromNetwork(undefined)).toBeUndefined();
  });
});
