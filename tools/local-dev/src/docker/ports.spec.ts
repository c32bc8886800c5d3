import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { ServiceModel } from '../config/model';
import { DockerError } from '../core/errors';
import { addressesToCheck, bindOutcome, checkHostPorts, parseDockerPort, portsToCheck, tryBind } from './ports';

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

describe('port preflight (real sockets)', () => {
  it('finds a holder that listens on [::1] only', async () => {
    const holder = await listenTcp('::1');
    const port = (holder.address() as net.AddressInfo).port;
    try {
      // 0.0.0.0 alone looks free: that was the bug. Docker also publishes on [::], which is taken.
      await expect(tryBind(port, '0.0.0.0', 'tcp')).resolves.toBe('free');
      const failure = checkHostPorts(service([{ host: port, container: 80, protocol: 'tcp' }]), undefined);
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
      await expect(checkHostPorts(service([{ host: port, container: 53, protocol: 'tcp' }]), undefined)).resolves.toBeUndefined();
      await expect(checkHostPorts(service([{ host: port, container: 53, protocol: 'udp' }]), undefined)).rejects.toThrow(`host port ${port}/udp ("${port}:53/udp") is taken`);
    } finally {
      holder.close();
    }
  });

  it('passes free ports, on every address', async () => {
    const probe = await listenTcp('127.0.0.1');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(checkHostPorts(service([{ host: port, container: 80, protocol: 'tcp' }, { host: port, container: 81, protocol: 'udp' }]), undefined)).resolves.toBeUndefined();
  });

  // Runs the check as user nobody in a child process, which needs root to switch user.
  (process.getuid?.() === 0 ? it : it.skip)('for a user who may not bind ports below 1024, a free privileged port is not reported as taken (the engine binds it)', () => {
    const script = `
      require('@swc-node/register');
      const { tryBind, checkHostPorts } = require(${JSON.stringify(require.resolve('./ports'))});
      (async () => {
        const outcome = await tryBind(81, '0.0.0.0', 'tcp');
        await checkHostPorts({ name: 'svc', ports: [{ host: 81, container: 80, protocol: 'tcp' }] }, undefined);
        console.log(outcome + ' passed');
      })().catch((error) => { console.log('failed: ' + error.message); });`;
    const child = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: __dirname, env: { ...process.env, SWC_NODE_PROJECT: require.resolve('../../../../tsconfig.json') } });
    expect(`${child.stdout}${child.stderr}`.trim()).toBe('no-root passed');
  });
});
