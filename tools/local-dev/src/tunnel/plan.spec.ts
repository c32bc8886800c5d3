import {
  backoffDelay,
  chooseBindAddresses,
  DEFAULT_TIMINGS,
  dockerBridgeGatewayFrom,
  freshnessBoundMs,
  parseIpAddrOutput,
  portForwardArgs,
  sameTarget,
} from './plan';

describe('portForwardArgs', () => {
  it('is the real kubectl port-forward command line, same port on both sides', () => {
    expect(portForwardArgs({ namespace: 's2', deployment: 'redis', port: 6379, addresses: ['127.0.0.1', '172.17.0.1'] })).toEqual([
      '-n',
      's2',
      'port-forward',
      'deployment/redis',
      '--address',
      '127.0.0.1,172.17.0.1',
      '6379:6379',
    ]);
  });
});

describe('chooseBindAddresses', () => {
  it('binds loopback and the Docker bridge gateway when the host has docker0 (Linux)', () => {
    expect(chooseBindAddresses('172.17.0.1')).toEqual(['127.0.0.1', '172.17.0.1']);
  });

  it('binds loopback only without a bridge (macOS Docker Desktop, or no Docker)', () => {
    expect(chooseBindAddresses(undefined)).toEqual(['127.0.0.1']);
  });

  it.each(['0.0.0.0', '127.0.0.1', 'not-an-ip', '300.1.1.1', '224.0.0.1', ''])('never binds a wildcard, loopback twice or a bogus address (%s)', (gateway) => {
    expect(chooseBindAddresses(gateway)).toEqual(['127.0.0.1']);
  });

  it.each(['172.17.0', '172.17.0.1.5', '172.x.0.1', '172.17.0.256', '172.+1.0.1', '172.1e1.0.1', '172. 1.0.1'])(
    'binds only a dotted quad of numbers 0–255, which kubectl and redis-server read as the address meant (%s)',
    (gateway) => {
      expect(chooseBindAddresses(gateway)).toEqual(['127.0.0.1']);
    },
  );

  it('takes a bridge address with a 255 in it', () => {
    expect(chooseBindAddresses('172.17.255.1')).toEqual(['127.0.0.1', '172.17.255.1']);
  });
});

describe('finding the bridge gateway', () => {
  it('reads docker0 from os.networkInterfaces() output', () => {
    const interfaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
      docker0: [
        { address: 'fe80::1', family: 'IPv6', internal: false },
        { address: '172.17.0.1', family: 'IPv4', internal: false },
      ],
    };
    expect(dockerBridgeGatewayFrom(interfaces)).toBe('172.17.0.1');
    expect(dockerBridgeGatewayFrom({ lo: interfaces.lo })).toBeUndefined();
  });

  it('reads the family as Node 18.0–18.3 gave it, a number', () => {
    expect(
      dockerBridgeGatewayFrom({
        docker0: [
          { address: 'fe80::1', family: 6, internal: false },
          { address: '172.17.0.1', family: 4, internal: false },
        ],
      }),
    ).toBe('172.17.0.1');
  });

  it('reads the address from `ip -o -4 addr show dev docker0`', () => {
    const output = '5: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever preferred_lft forever';
    expect(parseIpAddrOutput(output)).toBe('172.17.0.1');
    expect(parseIpAddrOutput('')).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const policy = DEFAULT_TIMINGS.backoff;

  it('retries fast first, doubles, and stops growing at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, policy, 0))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('adds up to 20 % jitter', () => {
    expect(backoffDelay(0, policy, 0.999)).toBe(120);
    expect(backoffDelay(10, policy, 0.5)).toBe(5500);
  });

  it('keeps the first retry well inside the 2 s recovery target', () => {
    expect(backoffDelay(0, policy, 0.999)).toBeLessThan(200);
  });
});

describe('sameTarget', () => {
  const target = { namespace: 's1', deployment: 'redis', port: 6379, addresses: ['127.0.0.1'] };
  it('differs on namespace, port, deployment or addresses', () => {
    expect(sameTarget(target, { ...target })).toBe(true);
    expect(sameTarget(target, { ...target, namespace: 's2' })).toBe(false);
    expect(sameTarget(target, { ...target, port: 6380 })).toBe(false);
    expect(sameTarget(target, { ...target, deployment: 'redis-master' })).toBe(false);
    expect(sameTarget(target, { ...target, addresses: ['127.0.0.1', '172.17.0.1'] })).toBe(false);
  });

  it('takes equal two-address targets for the same, and a local Redis for another target than the tunnel', () => {
    const bridged = { ...target, addresses: ['127.0.0.1', '172.17.0.1'] };
    expect(sameTarget(bridged, { ...bridged, addresses: [...bridged.addresses] })).toBe(true);
    expect(sameTarget(target, { ...target, mode: 'local' })).toBe(false);
    // A state written before local mode existed has no mode: it was a tunnel.
    expect(sameTarget(target, { ...target, mode: 'tunnel' })).toBe(true);
  });
});

describe('freshnessBoundMs', () => {
  it('believes "healthy" for two full check cycles (interval + PING timeout each)', () => {
    expect(freshnessBoundMs(DEFAULT_TIMINGS)).toBe(6000);
    expect(freshnessBoundMs({ checkIntervalMs: 1000, pingTimeoutMs: 500 })).toBe(3000);
  });
});

describe('localRedisArgs (redis.mode: local)', () => {
  it('binds the same port and addresses as the tunnel, never 0.0.0.0, answers the bridge (protected mode off) and saves nothing', () => {
    const { localRedisArgs } = jest.requireActual<typeof import('./plan')>('./plan');
    expect(localRedisArgs({ mode: 'local', namespace: 's1', deployment: 'redis', port: 6390, addresses: ['127.0.0.1', '172.17.0.1'] })).toEqual([
      '--port',
      '6390',
      '--bind',
      '127.0.0.1',
      '172.17.0.1',
      '--protected-mode',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      '',
    ]);
  });
});
