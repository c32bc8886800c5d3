import { UsageError } from '../core/errors';
import { selectServices, splitServiceList } from './select';

const model = { services: ['health-api', 'scheduler-api', 'oms-api'].map((name) => ({ name })) } as Parameters<typeof selectServices>[0];

describe('selectServices', () => {
  it('splits commas and spaces, once each', () => {
    expect(splitServiceList(' a,b  c,a,')).toEqual(['a', 'b', 'c']);
    expect(splitServiceList(undefined)).toEqual([]);
  });

  it('all services when none is named; the named ones in config order', () => {
    expect(selectServices(model, [])).toEqual(['health-api', 'scheduler-api', 'oms-api']);
    expect(selectServices(model, ['oms-api', 'health-api'])).toEqual(['health-api', 'oms-api']);
  });

  it('refuses an unknown service, suggesting the close one', () => {
    expect(() => selectServices(model, ['helth-api'])).toThrow(UsageError);
    try {
      selectServices(model, ['helth-api', 'zzzzzzzz']);
    } catch (error) {
      expect((error as UsageError).describe()).toBe(
        'no service "helth-api", "zzzzzzzz" in repos_docker_files/config.yaml\n  fix: "helth-api": did you mean "health-api"?',
      );
    }
    expect.assertions(3);
    try {
      selectServices(model, ['zzzzzzzz']);
    } catch (error) {
      expect((error as UsageError).fix).toBe('services: health-api, scheduler-api, oms-api');
    }
  });
});
