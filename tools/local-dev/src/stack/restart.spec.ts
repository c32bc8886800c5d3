import { planRestart } from './restart';

const container = (service: string) => ({ id: `${service}-id`, service, state: 'exited', name: service });

describe('planRestart', () => {
  it('restarts the services that have a container, and names the rest', () => {
    expect(planRestart(['a', 'b'], false, [container('a')])).toEqual({ restart: ['a'], missing: ['b'] });
  });

  it('refuses a named service without a container, before restarting anything', () => {
    expect(() => planRestart(['a', 'b'], true, [container('a')])).toThrow('b has no container to restart — nothing was restarted');
  });

  it('refuses when nothing was started yet', () => {
    expect(() => planRestart(['a', 'b'], false, [])).toThrow('no service of this workspace has a container to restart — nothing was restarted');
  });
});
