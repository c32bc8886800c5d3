import { observeService, type ObservedContainer } from './up-state';

const container = (overrides: Partial<ObservedContainer> = {}): ObservedContainer => ({
  id: 'c1',
  image: 'local-dev/api:0123456789ab',
  state: 'running',
  service: 'api',
  definition: 'def1',
  ...overrides,
});
const wanted = { image: 'local-dev/api:0123456789ab', definition: 'def1' };

describe('observeService (pure)', () => {
  it('is satisfied only by one running container of the service with the wanted image and definition', () => {
    expect(observeService('api', [container(), container({ id: 'w1', service: 'web' })], wanted).satisfied).toBe(true);
    expect(observeService('api', [container({ state: 'exited' })], wanted).satisfied).toBe(false);
    expect(observeService('api', [container({ image: 'sha256:0ld' })], wanted).satisfied).toBe(false);
    expect(observeService('api', [container({ definition: 'def0' })], wanted).satisfied).toBe(false);
    expect(observeService('api', [container(), container({ id: 'c2' })], wanted).satisfied).toBe(false);
    expect(observeService('api', [], wanted).satisfied).toBe(false);
    expect(observeService('api', [container()], { definition: 'def1' }).satisfied).toBe(false);
    expect(observeService('api', [container()], { image: wanted.image }).satisfied).toBe(false);
  });

  it('changes its text with the container, the wanted image and the definition, not with other services', () => {
    const base = observeService('api', [container()], wanted).text;
    expect(observeService('api', [container(), container({ id: 'w1', service: 'web', state: 'exited' })], wanted).text).toBe(base);
    expect(observeService('api', [container({ id: 'c2' })], wanted).text).not.toBe(base);
    expect(observeService('api', [container()], { ...wanted, image: 'local-dev/api:fedcba987654' }).text).not.toBe(base);
    expect(observeService('api', [container()], { ...wanted, definition: 'def2' }).text).not.toBe(base);
  });

  it('is never satisfied by a container holding files the dev target synced into it, even with the wanted image and definition', () => {
    expect(observeService('api', [container()], wanted, new Set(['c1'])).satisfied).toBe(false);
    // Another service's live container says nothing about this one.
    expect(observeService('api', [container(), container({ id: 'w1', service: 'web' })], wanted, new Set(['w1'])).satisfied).toBe(true);
    expect(observeService('api', [container()], wanted, new Set(['c1'])).text).not.toBe(observeService('api', [container()], wanted).text);
  });
});
