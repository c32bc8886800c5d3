import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import type { ServiceModel } from '../config/model';
import { DockerError } from '../core/errors';
import { addressesToCheck, bindOutcome, checkHostPorts, describeContainer, parseDockerPort, parsePublishingContainers, portsToCheck, tryBind } from './ports';

const tcp = (host: number, hostIp?: string) => ({ host, hostIp, protocol: 'tcp' as const, text: `${hostIp ? `${hostIp}:` : ''}${host}:80` });

function service(ports: ServiceModel['ports']): ServiceModel {
  return { name: 'svc', ports, debug: undefined } as unknown as ServiceModel;
}

function listenTcp(host: string, port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host }, () => resolve(server));
  });
}

function bindUdp(): Promise<dgram.Socket> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '0.0.0.0', () => resolve(socket));
  });
}

describe('port preflight: pure parts', () => {
  it('reads what `docker port` prints (IPv4 and IPv6, tcp and udp)', () => {
    expect(parseDockerPort('8080/tcp -> 0.0.0.0:18080\n8080/tcp -> :::18080\n8080/tcp -> [::]:18080\n53/udp -> 0.0.0.0:1053\n')).toEqual(new Set(['18080/tcp', '1053/udp']));
  });

  it('skips only the host ports our own container publishes, with the same protocol', () => {
    const wanted = [tcp(18080), tcp(18081), { host: 1053, protocol: 'udp' as const, text: '1053:53/udp' }, tcp(1053)];
    expect(portsToCheck(wanted, new Set(['18080/tcp', '1053/udp'])).map((port) => `${port.host}/${port.protocol}`)).toEqual(['18081/tcp', '1053/tcp']);
    expect(portsToCheck(wanted, new Set())).toHaveLength(4);
  });

  it('checks both wildcards unless the mapping names a host address', () => {
    expect(addressesToCheck({})).toEqual(['0.0.0.0', '::']);
    expect(addressesToCheck({ hostIp: '127.0.0.1' })).toEqual(['127.0.0.1']);
  });

  it('tells "taken" from "not allowed to bind" and "no such address"', () => {
    expect(bindOutcome('EADDRINUSE')).toBe('in-use');
    expect(bindOutcome('EACCES')).toBe('no-root');
    expect(bindOutcome('EADDRNOTAVAIL')).toBe('no-such-address');
    expect(bindOutcome('EMFILE')).toBeUndefined();
  });
});

describe('who publishes a port', () => {
  it('names another local-dev workspace\'s container as such, with its folder and how to stop it', () => {
    const [theirs, ours, foreign] = parsePublishingContainers('local-dev-aaaa_svc-0_1\tother-ws\tsvc-0\t/home/me/checkout-b\nlocal-dev-bbbb_svc-1_1\tthis-ws\tsvc-1\t/w\npostgres\t\t\t\n');
    expect(describeContainer(theirs, 'this-ws')).toBe('the container local-dev-aaaa_svc-0_1: svc-0 of another local-dev workspace in /home/me/checkout-b (stop it there with `nx run svc-0:down`)');
    expect(describeContainer(ours, 'this-ws')).toBe('the container local-dev-bbbb_svc-1_1 (svc-1 of this workspace)');
    expect(describeContainer(foreign, 'this-ws')).toBe('the container postgres');
  });
});

describe('who publishes a port', () => {
  it('names another local-dev workspace\'s container as such, with its folder and how to stop it', () => {
    const [theirs, ours, foreign] = parsePublishingContainers('local-dev-aaaa_svc-0_1\tother-ws\tsvc-0\t/home/me/checkout-b\nlocal-dev-bbbb_svc-1_1\tthis-ws\tsvc-1\t/w\npostgres\t\t\t\n');
    expect(describeContainer(theirs, 'this-ws')).toBe('the container local-dev-aaaa_svc-0_1: svc-0 of another local-dev workspace in /home/me/checkout-b (stop it there with `nx run svc-0:down`)');
    expect(describeContainer(ours, 'this-ws')).toBe('the container local-dev-bbbb_svc-1_1 (svc-1 of this workspace)');
    expect(describeContainer(foreign, 'this-ws')).toBe('the container postgres');
  });
});

describe('port preflight (real sockets)', () => {
  it('finds a holder that listens on [::1] only', async () => {
    const holder = await listenTcp('::1');
    const port = (holder.address() as net.AddressInfo).port;
    try {
      // 0.0.0.0 alone looks free: that was the bug. Docker also publishes on [::], which is taken.
      await expect(tryBind(port, '0.0.0.0', 'tcp')).resolves.toBe('free');
      const failure = checkHostPorts(service([{ host: port, container: 80, protocol: 'tcp' }]), undefined, 'this-workspace');
      await expect(failure).rejects.toBeInstanceOf(DockerError);
      await expect(failure).rejects.toThrow(`host port ${port} ("${port}:80") is taken by pid ${process.pid}`);
    } finally {
      holder.close();
    }
  });

  it('checks a /udp mapping with a UDP bind', async () => {
    const holder = await bindUdp();
    const port = holder.address().port;
    try {
      // The TCP port of that number is free: a TCP check would have missed the holder.
      await expect(checkHostPorts(service([{ host: port, container: 53, protocol: 'tcp' }]), undefined, 'this-workspace')).resolves.toBeUndefined();
      await expect(checkHostPorts(service([{ host: port, container: 53, protocol: 'udp' }]), undefined, 'this-workspace')).rejects.toThrow(`host port ${port}/udp ("${port}:53/udp") is taken`);
    } finally {
      holder.close();
    }
  });

  it('passes free ports, on every address', async () => {
    const probe = await listenTcp('127.0.0.1');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(checkHostPorts(service([{ host: port, container: 80, protocol: 'tcp' }, { host: port, container: 81, protocol: 'udp' }]), undefined, 'this-workspace')).resolves.toBeUndefined();
  });

});

/**
 * A port below ip_unprivileged_port_start that nothing holds: a user who may not bind it gets
 * EACCES, yet the Docker engine (root) can publish it, so `up` must not call it taken. As a
 * non-root user the check runs in this process; as root, in a child that drops to user nobody
 * after loading the code (so it can load it from a folder only root may read, like Stryker's sandbox).
 */
describe('port preflight for a user who may not bind privileged ports', () => {
  const PRIVILEGED_PORT = 81;
  const isRoot = process.getuid?.() === 0;
  const lowPortsNeedRoot = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')) > PRIVILEGED_PORT;

  (!isRoot && lowPortsNeedRoot ? it : it.skip)('does not report a free privileged port as taken (this process is not root)', async () => {
    await expect(tryBind(PRIVILEGED_PORT, '0.0.0.0', 'tcp')).resolves.toBe('no-root');
    await expect(checkHostPorts(service([{ host: PRIVILEGED_PORT, container: 80, protocol: 'tcp' }]), undefined, 'this-workspace')).resolves.toBeUndefined();
  });

  (isRoot && lowPortsNeedRoot ? it : it.skip)('does not report a free privileged port as taken (a child process running as user nobody)', () => {
    const script = `
      require('@swc-node/register');
      const { tryBind, checkHostPorts } = require(${JSON.stringify(require.resolve('./ports'))});
      process.setgid(65534);
      process.setuid(65534);
      (async () => {
        const outcome = await tryBind(${PRIVILEGED_PORT}, '0.0.0.0', 'tcp');
        await checkHostPorts({ name: 'svc', ports: [{ host: ${PRIVILEGED_PORT}, container: 80, protocol: 'tcp' }] }, undefined, 'this-workspace');
        console.log(outcome + ' passed');
      })().catch((error) => { console.log('failed: ' + error.message); });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: __dirname, env: { ...process.env, SWC_NODE_PROJECT: require.resolve('../../../../tsconfig.json') } });
    expect(`${child.stdout}${child.stderr}`.trim()).toBe('no-root passed');
  });
});
