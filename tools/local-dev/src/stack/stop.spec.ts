import { groupByService, networkDecision } from './stop';

describe('stop', () => {
  it('stops dependents first (config order reversed), then containers of unknown services', () => {
    const groups = groupByService(
      [
        { id: '1', service: 'svc-0' },
        { id: '2', service: 'gone' },
        { id: '3', service: 'svc-1' },
        { id: '4', service: 'svc-0' },
      ],
      ['svc-0', 'svc-1'],
    );
    expect([...groups]).toEqual([
      ['svc-1', ['3']],
      ['svc-0', ['1', '4']],
      ['gone', ['2']],
    ]);
  });

  it('removes the network only when nothing is attached and local-dev made it', () => {
    expect(networkDecision(undefined)).toBe('absent');
    expect(networkDecision({ Containers: { abc: {} }, Labels: { 'io.local-dev.workspace': 'x' } })).toBe('in-use');
    expect(networkDecision({ Containers: {}, Labels: {} })).toBe('not-ours');
    expect(networkDecision({ Containers: null, Labels: { 'io.local-dev.workspace': 'x' } })).toBe('remove');
  });
});
