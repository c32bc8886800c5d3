import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ServiceModel } from '../config/model';
import { DockerError } from '../core/errors';
import {
  bindOutcome,
  checkHostPorts,
  describeContainer,
  isTakenForTheEngine,
  parseDockerPort,
  parsePublishingContainers,
  portsToCheck,
  tryBind,
} from './ports';

const tcp = (host: number, hostIp = '127.0.0.1') => ({ host, hostIp, protocol: 'tcp' as const, text: `${hostIp}:${host}:80` });

function service(ports: ServiceModel['ports'], debug?: ServiceModel['debug']): ServiceModel {
  return { name: 'svc', ports, debug } as unknown as ServiceModel;
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
    expect(parseDockerPort('8080/tcp -> 0.0.0.0:18080\n8080/tcp -> :::18080\n8080/tcp -> [::]:18080\n53/udp -> 0.0.0.0:1053\n')).toEqual(
      new Set(['18080/tcp', '1053/udp']),
    );
  });

  it('reads `docker port` lines with stray whitespace around them', () => {
    expect(parseDockerPort('  8080/tcp -> 0.0.0.0:18080  \n\t53/udp -> [::]:1053\t\n\n')).toEqual(new Set(['18080/tcp', '1053/udp']));
  });

  it('skips only the host ports our own container publishes, with the same protocol', () => {
    const wanted = [tcp(18080), tcp(18081), { host: 1053, hostIp: '127.0.0.1', protocol: 'udp' as const, text: '127.0.0.1:1053:53/udp' }, tcp(1053)];
    expect(portsToCheck(wanted, new Set(['18080/tcp', '1053/udp'])).map((port) => `${port.host}/${port.protocol}`)).toEqual(['18081/tcp', '1053/tcp']);
    expect(portsToCheck(wanted, new Set())).toHaveLength(4);
  });

  it('tells "taken" from "not allowed to bind" and "no such address"', () => {
    expect(bindOutcome('EADDRINUSE')).toBe('in-use');
    expect(bindOutcome('EACCES')).toBe('no-root');
    expect(bindOutcome('EADDRNOTAVAIL')).toBe('no-such-address');
    expect(bindOutcome('EAFNOSUPPORT')).toBe('no-such-address');
    expect(bindOutcome('EMFILE')).toBeUndefined();
  });

  it('calls a port we may not bind taken only when someone visibly holds it (the engine binds as root)', () => {
    expect(isTakenForTheEngine('in-use', false)).toBe(true);
    expect(isTakenForTheEngine('in-use', true)).toBe(true);
    expect(isTakenForTheEngine('no-root', true)).toBe(true);
    expect(isTakenForTheEngine('no-root', false)).toBe(false);
    expect(isTakenForTheEngine('free', true)).toBe(false);
    expect(isTakenForTheEngine('no-such-address', true)).toBe(false);
  });
});

describe('who publishes a port', () => {
  it("names another local-dev workspace's container as such, with its folder and how to stop it", () => {
    const [theirs, ours, foreign] = parsePublishingContainers(
      'local-dev-aaaa_svc-0_1\tother-ws\tsvc-0\t/home/me/checkout-b\nlocal-dev-bbbb_svc-1_1\tthis-ws\tsvc-1\t/w\npostgres\t\t\t\n',
    );
    expect(describeContainer(theirs, 'this-ws')).toBe(
      'the container local-dev-aaaa_svc-0_1: svc-0 of another local-dev workspace in /home/me/checkout-b (stop it there with `nx run svc-0:down`)',
    );
    expect(describeContainer(ours, 'this-ws')).toBe('the container local-dev-bbbb_svc-1_1 (svc-1 of this workspace)');
    expect(describeContainer(foreign, 'this-ws')).toBe('the container postgres');
  });

  it('reads one container a line, labels missing at the end, blank lines skipped; a folder is named only when known', () => {
    expect(parsePublishingContainers('web\n\n  \nlocal-dev-c_api_1\tother-ws\n')).toEqual([
      { name: 'web', workspace: '', service: '', folder: '' },
      { name: 'local-dev-c_api_1', workspace: 'other-ws', service: '', folder: '' },
    ]);
    expect(describeContainer({ name: 'c1', workspace: 'other-ws', service: 'api', folder: '' }, 'this-ws')).toBe(
      'the container c1: api of another local-dev workspace (stop it there with `nx run api:down`)',
    );
  });
});

describe('port preflight (real sockets)', () => {
  it('checks a port config.yaml gives no address on 127.0.0.1, where it is published: a holder on [::1] or 127.0.0.2 only leaves it free', async () => {
    // Docker publishes "127.0.0.1:p:c" next to both (the real engine starts such a container).
    for (const address of ['::1', '127.0.0.2']) {
      const holder = await listenTcp(address);
      const port = (holder.address() as net.AddressInfo).port;
      try {
        await expect(checkHostPorts(service([{ host: port, container: 80, protocol: 'tcp' }]), undefined, 'this-workspace')).resolves.toBeUndefined();
      } finally {
        holder.close();
      }
    }
  });

  it('finds a holder of a loopback-published port on 127.0.0.1 itself, on 0.0.0.0 and on a dual-stack [::]', async () => {
    for (const address of ['127.0.0.1', '0.0.0.0', '::']) {
      const holder = await listenTcp(address);
      const port = (holder.address() as net.AddressInfo).port;
      try {
        const failure = checkHostPorts(service([{ host: port, container: 80, protocol: 'tcp' }]), undefined, 'this-workspace');
        await expect(failure).rejects.toBeInstanceOf(DockerError);
        await expect(failure).rejects.toThrow(`host port ${port} ("127.0.0.1:${port}:80") is taken by pid ${process.pid}`);
      } finally {
        holder.close();
      }
    }
  });

  it('checks a port config.yaml publishes on 0.0.0.0 there: a holder on any IPv4 address blocks it', async () => {
    const holder = await listenTcp('127.0.0.2');
    const port = (holder.address() as net.AddressInfo).port;
    try {
      await expect(checkHostPorts(service([{ hostIp: '0.0.0.0', host: port, container: 80, protocol: 'tcp' }]), undefined, 'this-workspace')).rejects.toThrow(
        `host port ${port} ("0.0.0.0:${port}:80") is taken by pid ${process.pid}`,
      );
    } finally {
      holder.close();
    }
  });

  it("checks the debugger's host port on 127.0.0.1, where it is always published", async () => {
    const holder = await listenTcp('127.0.0.1');
    const port = (holder.address() as net.AddressInfo).port;
    try {
      await expect(checkHostPorts(service([], { containerPort: 5678, hostPort: port }), undefined, 'this-workspace')).rejects.toThrow(
        `host port ${port} ("127.0.0.1:${port}:5678") is taken by pid ${process.pid}`,
      );
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
      await expect(checkHostPorts(service([{ host: port, container: 53, protocol: 'udp' }]), undefined, 'this-workspace')).rejects.toThrow(
        `host port ${port}/udp ("127.0.0.1:${port}:53/udp") is taken`,
      );
    } finally {
      holder.close();
    }
  });

  it('passes a mapping whose host address this machine does not have (nothing here can hold it)', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address.
    await expect(tryBind(18080, '192.0.2.1', 'tcp')).resolves.toBe('no-such-address');
    await expect(
      checkHostPorts(service([{ hostIp: '192.0.2.1', host: 18080, container: 80, protocol: 'tcp' }]), undefined, 'this-workspace'),
    ).resolves.toBeUndefined();
  });

  it('passes free ports, on every address', async () => {
    const probe = await listenTcp('127.0.0.1');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(
      checkHostPorts(
        service([
          { host: port, container: 80, protocol: 'tcp' },
          { host: port, container: 81, protocol: 'udp' },
        ]),
        undefined,
        'this-workspace',
      ),
    ).resolves.toBeUndefined();
  });
});

describe('port preflight with our own container running (a stand-in `docker`: a real tiny program)', () => {
  let folder: string;
  const originalPath = process.env.PATH;
  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'local-dev-ports-'));
    process.env.PATH = `${folder}${path.delimiter}${originalPath}`;
  });
  afterEach(() => {
    process.env.PATH = originalPath;
    rmSync(folder, { recursive: true, force: true });
  });

  /** A `docker` that answers `docker port own-container` with `published`, and fails for anything else. */
  function standInDocker(published: string): void {
    const program = path.join(folder, 'docker');
    writeFileSync(program, `#!/bin/sh\nif [ "$1" = port ] && [ "$2" = own-container ]; then printf '%s' '${published}'; exit 0; fi\nexit 2\n`);
    chmodSync(program, 0o755);
  }

  it('does not call the ports our own container publishes taken, and still checks a port added since', async () => {
    // Both ports are held in this process: the first stands for our container's docker-proxy.
    const [ours, added] = await Promise.all([listenTcp('127.0.0.1'), listenTcp('127.0.0.1')]);
    const ourPort = (ours.address() as net.AddressInfo).port;
    const addedPort = (added.address() as net.AddressInfo).port;
    try {
      standInDocker(`80/tcp -> 0.0.0.0:${ourPort}\n80/tcp -> [::]:${ourPort}\n`);
      await expect(checkHostPorts(service([{ host: ourPort, container: 80, protocol: 'tcp' }]), 'own-container', 'this-workspace')).resolves.toBeUndefined();
      const both = service([
        { host: ourPort, container: 80, protocol: 'tcp' },
        { host: addedPort, container: 81, protocol: 'tcp' },
      ]);
      const error = await checkHostPorts(both, 'own-container', 'this-workspace').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DockerError);
      expect((error as DockerError).message).toMatch(
        new RegExp(`^cannot start svc: host port ${addedPort} \\("127.0.0.1:${addedPort}:81"\\) is taken by pid ${process.pid}\\b[^;]*$`),
      );
    } finally {
      ours.close();
      added.close();
    }
  });

  it('names the container behind a docker-proxy holder, and the process when docker lists none', async () => {
    // A real process whose command line says docker-proxy (node under that name) holds the port.
    const proxy = path.join(folder, 'docker-proxy');
    symlinkSync(process.execPath, proxy);
    const holder = spawn(
      proxy,
      ['-e', "const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port)); setTimeout(() => {}, 60000);"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = Number(await new Promise<string>((resolve) => holder.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      const format = '{{.Names}}\t{{.Label "io.local-dev.workspace"}}\t{{.Label "io.local-dev.service"}}\t{{.Label "com.docker.compose.project.working_dir"}}';
      const program = path.join(folder, 'docker');
      writeFileSync(
        program,
        `#!/bin/sh\nif [ "$1 $2 $3 $4" = "ps --filter publish=${port} --format" ] && [ "$5" = '${format}' ]; then cat '${folder}/ps'; exit 0; fi\nexit 2\n`,
      );
      chmodSync(program, 0o755);
      const svc = service([{ host: port, container: 80, protocol: 'tcp' }]);

      writeFileSync(path.join(folder, 'ps'), 'local-dev-b_api_1\tother-ws\tapi\t/home/me/b\nlocal-dev-c_api_1\tthis-workspace\tapi\t/w\n');
      await expect(checkHostPorts(svc, undefined, 'this-workspace')).rejects.toThrow(
        `host port ${port} ("127.0.0.1:${port}:80") is taken by the container local-dev-b_api_1: api of another local-dev workspace in /home/me/b (stop it there with \`nx run api:down\`), the container local-dev-c_api_1 (api of this workspace)`,
      );
      writeFileSync(path.join(folder, 'ps'), '');
      await expect(checkHostPorts(svc, undefined, 'this-workspace')).rejects.toThrow(
        `host port ${port} ("127.0.0.1:${port}:80") is taken by pid ${holder.pid} (${proxy} -e `,
      );
    } finally {
      holder.kill();
    }
  });

  it('names every taken port at once, with the fix', async () => {
    const holders = await Promise.all([listenTcp('127.0.0.1'), listenTcp('127.0.0.1')]);
    const [first, second] = holders.map((holder) => (holder.address() as net.AddressInfo).port);
    try {
      standInDocker('');
      const failure = checkHostPorts(
        service([
          { host: first, container: 80, protocol: 'tcp' },
          { host: second, container: 81, protocol: 'tcp' },
        ]),
        'own-container',
        'this-workspace',
      );
      await expect(failure).rejects.toThrow(
        new RegExp(
          `^cannot start svc: host port ${first} \\("127.0.0.1:${first}:80"\\) is taken by [^;]+; host port ${second} \\("127.0.0.1:${second}:81"\\) is taken by `,
        ),
      );
      await expect(failure).rejects.toMatchObject({ fix: 'stop what holds the port, or publish svc on another host port in repos_docker_files/config.yaml' });
    } finally {
      for (const holder of holders) holder.close();
    }
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

  it('as a user who may not bind (a stand-in bind answering EACCES, so it runs as root too): only a visible holder makes a port taken, and only for TCP', async () => {
    const mayNotBind = async () => 'no-root' as const;
    const held = await listenTcp('0.0.0.0');
    const heldPort = (held.address() as net.AddressInfo).port;
    try {
      await expect(checkHostPorts(service([{ host: 81, container: 80, protocol: 'tcp' }]), undefined, 'this-workspace', mayNotBind)).resolves.toBeUndefined();
      await expect(checkHostPorts(service([{ host: heldPort, container: 80, protocol: 'tcp' }]), undefined, 'this-workspace', mayNotBind)).rejects.toThrow(
        `host port ${heldPort} ("127.0.0.1:${heldPort}:80") is taken by pid ${process.pid}`,
      );
      // The /proc lookup knows TCP listeners: a TCP holder of that number says nothing about UDP.
      await expect(
        checkHostPorts(service([{ host: heldPort, container: 53, protocol: 'udp' }]), undefined, 'this-workspace', mayNotBind),
      ).resolves.toBeUndefined();
    } finally {
      held.close();
    }
  });

  (!isRoot && lowPortsNeedRoot ? it : it.skip)('does not report a free privileged TCP or UDP port as taken (this process is not root)', async () => {
    await expect(tryBind(PRIVILEGED_PORT, '0.0.0.0', 'tcp')).resolves.toBe('no-root');
    await expect(tryBind(PRIVILEGED_PORT, '0.0.0.0', 'udp')).resolves.toBe('no-root');
    const ports = [
      { host: PRIVILEGED_PORT, container: 80, protocol: 'tcp' as const },
      { host: PRIVILEGED_PORT, container: 53, protocol: 'udp' as const },
    ];
    await expect(checkHostPorts(service(ports), undefined, 'this-workspace')).resolves.toBeUndefined();
  });

  (isRoot && lowPortsNeedRoot ? it : it.skip)('does not report a free privileged TCP or UDP port as taken (a child process running as user nobody)', () => {
    const script = `
      require('@swc-node/register');
      const { tryBind, checkHostPorts } = require(${JSON.stringify(require.resolve('./ports'))});
      process.setgid(65534);
      process.setuid(65534);
      (async () => {
        const outcomes = [await tryBind(${PRIVILEGED_PORT}, '0.0.0.0', 'tcp'), await tryBind(${PRIVILEGED_PORT}, '0.0.0.0', 'udp')];
        const ports = [{ host: ${PRIVILEGED_PORT}, container: 80, protocol: 'tcp' }, { host: ${PRIVILEGED_PORT}, container: 53, protocol: 'udp' }];
        await checkHostPorts({ name: 'svc', ports }, undefined, 'this-workspace');
        console.log(outcomes.join(' ') + ' passed');
      })().catch((error) => { console.log('failed: ' + error.message); });`;
    const child = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      cwd: __dirname,
      env: { ...process.env, SWC_NODE_PROJECT: require.resolve('../../../../tsconfig.json') },
    });
    expect(`${child.stdout}${child.stderr}`.trim()).toBe('no-root no-root passed');
  });
});
