import { addressesNotYetForwarding, classifyKubectlOutput, forwardingAddress, isBrokenForwardLine, isReadyLine } from './kubectl-errors';

const context = { namespace: 's2', deployment: 'redis', port: 6379 };

describe('classifyKubectlOutput', () => {
  it.each([
    ['error: current-context is not set', 'no-context', true, /kubectl config use-context/],
    ['Error in configuration: context was not found for specified context: gke_x', 'no-context', true, /use-context/],
    ['Error from server (NotFound): namespaces "s9" not found', 'namespace-not-found', true, /namespace "s9" does not exist.*--namespace/],
    ['Error from server (NotFound): deployments.apps "redis" not found', 'deployment-not-found', true, /redis\.deployment in repos_docker_files\/config\.yaml/],
    [
      'Error from server (Forbidden): pods "redis-7c9" is forbidden: User "dev@example.com" cannot create resource "pods/portforward" in API group "" in the namespace "s2"',
      'forbidden',
      true,
      /pods\/portforward/,
    ],
    ['error: You must be logged in to the server (Unauthorized)', 'unauthorized', true, /log in again/],
    ['error: unable to listen on any of the requested ports: [{6379 6379}]', 'port-in-use', true, /redis\.port/],
    ['Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout', 'cluster-unreachable', false, /VPN/],
    ['error: unable to forward port because pod is not running. Current status=Pending', 'pod-not-running', false, /get pods/],
    ['error: lost connection to pod', 'connection-lost', false, /reconnects on its own/],
    ['bash: kubectl: command not found', 'not-installed', true, /install kubectl/],
  ])('%s → %s', (line, kind, permanent, fix) => {
    const problem = classifyKubectlOutput(`Some preamble\n${line}\n`, context);
    expect(problem).toMatchObject({ kind, permanent, message: line });
    expect(problem?.fix).toMatch(fix);
  });

  it('reads the output of a real kubectl without a cluster (recorded on the CI machine) as unreachable, retryable', () => {
    const recorded = [
      'E1126 08:21:47.120031   18582 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group list: Get \\"http://localhost:8080/api?timeout=32s\\": dial tcp 127.0.0.1:8080: connect: connection refused"',
      'The connection to the server localhost:8080 was refused - did you specify the right host or port?',
    ].join('\n');
    expect(classifyKubectlOutput(recorded, context)).toMatchObject({ kind: 'cluster-unreachable', permanent: false });
  });

  it('tells a vanished Docker bridge address from a busy port: its own retryable rule and fix', () => {
    const gone = classifyKubectlOutput(
      'Forwarding from 127.0.0.1:6379 -> 6379\nUnable to listen on port 6379: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 172.17.0.1:6379: bind: cannot assign requested address]\nerror: unable to listen on any of the requested ports: [{6379 6379}]\n',
      context,
    );
    expect(gone).toMatchObject({
      kind: 'bind-address-gone',
      permanent: false,
      message: expect.stringContaining('172.17.0.1:6379: bind: cannot assign requested address'),
    });
    expect(gone?.fix).toContain('nx run redis-tunnel:restart');
    expect(gone?.fix).toContain('ip addr show docker0');
    expect(gone?.fix).not.toContain('redis.port');
    const busy = classifyKubectlOutput(
      'Unable to listen on port 6379: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:6379: bind: address already in use]\nerror: unable to listen on any of the requested ports: [{6379 6379}]\n',
      context,
    );
    expect(busy).toMatchObject({ kind: 'port-in-use', permanent: true });
  });

  it('quotes an unknown error line instead of inventing a cause', () => {
    expect(classifyKubectlOutput('error: something new and strange', context)).toMatchObject({
      kind: 'unknown',
      message: 'error: something new and strange',
      permanent: false,
    });
  });

  it('finds nothing wrong in normal output', () => {
    expect(classifyKubectlOutput('Forwarding from 127.0.0.1:6379 -> 6379\nHandling connection for 6379', context)).toBeUndefined();
  });
});

describe('readiness and breakage lines', () => {
  it('recognises "Forwarding from" as ready, for IPv4 and IPv6', () => {
    expect(isReadyLine('Forwarding from 127.0.0.1:6379 -> 6379')).toBe(true);
    expect(isReadyLine('Forwarding from [::1]:6379 -> 6379')).toBe(true);
    expect(isReadyLine('Handling connection for 6379')).toBe(false);
  });

  it('reads the address each "Forwarding from" line announces', () => {
    expect(forwardingAddress('Forwarding from 127.0.0.1:6379 -> 6379')).toBe('127.0.0.1');
    expect(forwardingAddress('Forwarding from 172.17.0.1:16379 -> 6379')).toBe('172.17.0.1');
    expect(forwardingAddress('Forwarding from [::1]:6379 -> 6379')).toBe('::1');
    expect(forwardingAddress('Handling connection for 6379')).toBeUndefined();
  });

  it('is ready only when every bound address has its own line: the bridge address may come 0.4 s after loopback', () => {
    const expected = ['127.0.0.1', '172.17.0.1'];
    expect(addressesNotYetForwarding(expected, [])).toEqual(['127.0.0.1', '172.17.0.1']);
    expect(addressesNotYetForwarding(expected, ['127.0.0.1'])).toEqual(['172.17.0.1']);
    expect(addressesNotYetForwarding(expected, ['127.0.0.1', '172.17.0.1'])).toEqual([]);
    // Order does not matter, and a line for an address nobody asked for does not count.
    expect(addressesNotYetForwarding(expected, ['172.17.0.1', '::1'])).toEqual(['127.0.0.1']);
  });

  it('treats a lost pod or a failed forward as broken, but not a client hanging up', () => {
    expect(
      isBrokenForwardLine('E1126 08:00:00.000000 1 portforward.go:424] an error occurred forwarding 6379 -> 6379: error forwarding port 6379 to pod abc'),
    ).toBe(true);
    expect(isBrokenForwardLine('error: lost connection to pod')).toBe(true);
    expect(
      isBrokenForwardLine(
        'E1126 portforward.go:394] error copying from local connection to remote stream: read tcp4 127.0.0.1:6379->127.0.0.1:5000: read: connection reset by peer',
      ),
    ).toBe(false);
  });
});
