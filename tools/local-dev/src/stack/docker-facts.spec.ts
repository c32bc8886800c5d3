import { parseContainerIds, parseContainerInspect, parseImageReferences } from './docker-facts';

describe('docker facts', () => {
  it('reads docker inspect JSON: labels, state, health, ports, zero times as undefined', () => {
    const json = JSON.stringify([
      {
        Id: 'abc123',
        Name: '/local-dev-1_svc-0_1',
        RestartCount: 2,
        State: { Status: 'running', ExitCode: 0, OOMKilled: false, StartedAt: '2026-11-29T10:00:00.1Z', FinishedAt: '0001-01-01T00:00:00Z', Health: { Status: 'healthy' } },
        Config: { Image: 'local-dev/svc-0:0123456789ab', Labels: { 'io.local-dev.service': 'svc-0', 'io.local-dev.definition': 'd1' } },
        NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '37399' }], '9000/udp': null } },
      },
      { Id: 'def', Name: '/other', State: { Status: 'exited', ExitCode: 3 }, Config: { Image: 'busybox', Labels: null }, NetworkSettings: { Ports: null } },
    ]);
    expect(parseContainerInspect(json)).toEqual([
      {
        id: 'abc123', name: 'local-dev-1_svc-0_1', service: 'svc-0', image: 'local-dev/svc-0:0123456789ab', status: 'running', exitCode: 0, oomKilled: false, health: 'healthy',
        restartCount: 2, startedAt: '2026-11-29T10:00:00.1Z', finishedAt: undefined, definition: 'd1', ports: [{ containerPort: 8080, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 37399 }],
      },
      { id: 'def', name: 'other', service: '', image: 'busybox', status: 'exited', exitCode: 3, oomKilled: false, health: undefined, restartCount: 0, startedAt: undefined, finishedAt: undefined, definition: '', ports: [] },
    ]);
  });

  it('reads {{json .}} lines of docker images and docker ps', () => {
    expect(parseImageReferences('{"Repository":"local-dev/a","Tag":"0123"}\n\n{"Repository":"local-dev/b","Tag":"4567"}\n')).toEqual(new Set(['local-dev/a:0123', 'local-dev/b:4567']));
    expect(parseContainerIds('{"ID":"aaa"}\n{"ID":"bbb"}\n')).toEqual(['aaa', 'bbb']);
    expect(parseContainerIds('')).toEqual([]);
  });
});
