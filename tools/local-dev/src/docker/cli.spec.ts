import { ChildProcessError } from '../core/errors';
import { isEngineUnreachable, labelValue, parseWorkspaceContainers } from './cli';

describe('engine helpers', () => {
  it("reads one label from docker ps's Labels field", () => {
    expect(labelValue('a=1,io.local-dev.service=svc-0,b=x=y', 'io.local-dev.service')).toBe('svc-0');
    expect(labelValue('b=x=y', 'b')).toBe('x=y');
    expect(labelValue('a=1', 'io.local-dev.service')).toBeUndefined();
  });

  it('reads docker ps JSON lines', () => {
    expect(parseWorkspaceContainers('{"ID":"abc","Labels":"io.local-dev.service=svc-1","State":"exited","Names":"x_svc-1_1"}\n')).toEqual([
      { id: 'abc', service: 'svc-1', state: 'exited', name: 'x_svc-1_1' },
    ]);
  });

  it('tells "no engine" from a bad request', () => {
    const failure = (tail: string, code: number | null = 1) => new ChildProcessError('docker', ['ps'], code, tail);
    expect(isEngineUnreachable(failure('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'))).toBe(true);
    expect(isEngineUnreachable(failure('error during connect: Get "http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.24/containers/json"'))).toBe(true);
    expect(isEngineUnreachable(failure('docker: command not found', null))).toBe(true);
    expect(isEngineUnreachable(failure('Error: No such container: abc'))).toBe(false);
  });
});
