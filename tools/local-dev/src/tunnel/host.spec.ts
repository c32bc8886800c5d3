/**
 * findDockerBridgeGateway against tiny real programs playing `ip` (a hung one, a missing one, one
 * that answers), so the timeout is proven on a real process.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TunnelError } from '../core/errors';
import { findDockerBridgeGateway } from './host';

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

  it('reads docker0\'s address from `ip`, and means "no bridge" when `ip` is missing or has no docker0', async () => {
    const answers = fakeIp('ip-answers', 'echo "5: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0"');
    expect(await findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip: answers })).toBe('172.17.0.1');
    const noDocker0 = fakeIp('ip-no-docker0', 'echo \'Device "docker0" does not exist.\' >&2; exit 1');
    expect(await findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip: noDocker0 })).toBeUndefined();
    expect(await findDockerBridgeGateway({ platform: 'linux', interfaces: noInterfaces, ip: path.join(dir, 'no-such-ip') })).toBeUndefined();
  });

  it('takes docker0 from Node when it is up, and binds no bridge on macOS', async () => {
    const interfaces = () => ({ docker0: [{ address: '172.18.0.1', netmask: '255.255.0.0', family: 'IPv4' as const, mac: '', internal: false, cidr: null }] });
    expect(await findDockerBridgeGateway({ platform: 'linux', interfaces, ip: path.join(dir, 'never-called') })).toBe('172.18.0.1');
    expect(await findDockerBridgeGateway({ platform: 'darwin', interfaces })).toBeUndefined();
  });
});
