import type { EngineEvent } from '../docker/events';
import { endOfLastLife, parseContainerInspect, signalName } from './docker-facts';

describe('docker facts', () => {
  it('reads docker inspect JSON: labels, state, health, ports, zero times as undefined', () => {
    const json = JSON.stringify([
      {
        Id: 'abc123',
        Name: '/local-dev-1_svc-0_1',
        RestartCount: 2,
        State: {
          Status: 'running',
          ExitCode: 0,
          OOMKilled: false,
          StartedAt: '2026-11-29T10:00:00.1Z',
          FinishedAt: '0001-01-01T00:00:00Z',
          Health: { Status: 'healthy' },
        },
        Config: { Image: 'local-dev/svc-0:0123456789ab', Labels: { 'io.local-dev.service': 'svc-0', 'io.local-dev.definition': 'd1' } },
        NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '37399' }], '9000/udp': null } },
      },
      {
        Id: 'def',
        Name: '/other',
        State: { Status: 'exited', ExitCode: 3, Error: 'exec: "app": not found' },
        Config: { Image: 'busybox', Labels: null },
        NetworkSettings: { Ports: null },
      },
    ]);
    expect(parseContainerInspect(json)).toEqual([
      {
        id: 'abc123',
        name: 'local-dev-1_svc-0_1',
        service: 'svc-0',
        image: 'local-dev/svc-0:0123456789ab',
        status: 'running',
        exitCode: 0,
        oomKilled: false,
        error: '',
        health: 'healthy',
        restartCount: 2,
        startedAt: '2026-11-29T10:00:00.1Z',
        finishedAt: undefined,
        definition: 'd1',
        ports: [{ containerPort: 8080, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 37399 }],
      },
      {
        id: 'def',
        name: 'other',
        service: '',
        image: 'busybox',
        status: 'exited',
        exitCode: 3,
        oomKilled: false,
        error: 'exec: "app": not found',
        health: undefined,
        restartCount: 0,
        startedAt: undefined,
        finishedAt: undefined,
        definition: '',
        ports: [],
      },
    ]);
  });

  // Shaped as the engine (20.10) sends them: `docker stop` on a process that ignores SIGTERM, then a start and `docker kill`.
  const event = (Action: string, at: number, Attributes: Record<string, string> = {}, id = 'c1'): EngineEvent => ({
    Type: 'container',
    Action,
    Actor: { ID: id, Attributes: { name: 'x', ...Attributes } },
    timeNano: at * 1e9,
  });
  it("reads how the last life of a container ended from the engine's events", () => {
    const stopped = [
      event('start', 1),
      event('kill', 2, { signal: '15' }),
      event('kill', 12, { signal: '9' }),
      event('die', 12.1, { exitCode: '137' }),
      event('stop', 12.2),
    ];
    expect(endOfLastLife(stopped, 'c1')).toEqual({ signals: ['SIGTERM', 'SIGKILL'], stopCommand: true, oom: false });
    // Given in any order; another container's events do not count.
    const killed = [
      ...stopped,
      event('kill', 21, { signal: '9' }, 'c2'),
      event('die', 20.5, { exitCode: '137' }),
      event('kill', 20, { signal: 'SIGKILL' }),
      event('start', 15),
    ];
    expect(endOfLastLife(killed, 'c1')).toEqual({ signals: ['SIGKILL'], stopCommand: false, oom: false });
    expect(endOfLastLife([event('start', 1), event('oom', 2), event('die', 2.1, { exitCode: '137' })], 'c1')).toEqual({
      signals: [],
      stopCommand: false,
      oom: true,
    });
    // Running again, or its death no longer remembered: nothing to say.
    expect(endOfLastLife([...stopped, event('start', 30)], 'c1')).toBeUndefined();
    expect(endOfLastLife([event('kill', 2, { signal: '15' })], 'c1')).toBeUndefined();
  });

  it('names signals as engines of any age write them', () => {
    expect(['15', 9, 'SIGTERM', 'term', '64'].map(signalName)).toEqual(['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGTERM', 'signal 64']);
  });
});
