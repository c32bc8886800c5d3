import { UsageError } from '../core/errors';
import { CONFIG_FILE, problemsIn, yaml } from '../../testing/config-text';
import { parseConfigText } from './load';
import { effectiveRegistry, registryUrlProblem } from './registry';

describe('registryUrlProblem: a registry url Docker reads as the user means it', () => {
  it.each(['registry.internal:5000/local-dev', '127.0.0.1:5000', 'localhost:5000/team/dev', 'ghcr.io/acme/local-dev', 'localhost/x', '[::1]:5000/x'])(
    '%s is fine',
    (url) => expect(registryUrlProblem(url)).toBeUndefined(),
  );
  it.each([
    ['https://registry.internal/x', 'has a scheme'],
    ['registry.internal:5000/local-dev/', 'ends with "/"'],
    ['team/local-dev', 'Docker Hub account'],
    ['registry.internal:5000/Local-Dev', 'path part "Local-Dev"'],
    ['registry.internal:99999/x', 'outside 1-65535'],
    ['-bad.example/x', 'not a host name'],
    ['', 'empty'],
    [' registry.internal/x', 'spaces'],
  ])('%s: %s', (url, words) => expect(registryUrlProblem(url)).toContain(words));
});

describe('effectiveRegistry: config.yaml, or the environment (CI), the environment winning', () => {
  const fromConfig = { url: 'registry.internal:5000/local-dev', push: true };
  it('config.yaml alone', () => expect(effectiveRegistry(fromConfig, {})).toEqual(fromConfig));
  it('none at all', () => expect(effectiveRegistry(undefined, {})).toBeUndefined());
  it('LOCAL_DEV_REGISTRY replaces the url and, without LOCAL_DEV_REGISTRY_PUSH, only pulls', () =>
    expect(effectiveRegistry(fromConfig, { LOCAL_DEV_REGISTRY: 'ci.example:5000/x' })).toEqual({ url: 'ci.example:5000/x', push: false }));
  it('LOCAL_DEV_REGISTRY_PUSH=1 pushes', () =>
    expect(effectiveRegistry(undefined, { LOCAL_DEV_REGISTRY: 'ci.example:5000/x', LOCAL_DEV_REGISTRY_PUSH: '1' })).toEqual({
      url: 'ci.example:5000/x',
      push: true,
    }));
  it("LOCAL_DEV_REGISTRY_PUSH=0 alone turns config.yaml's push off", () =>
    expect(effectiveRegistry(fromConfig, { LOCAL_DEV_REGISTRY_PUSH: '0' })).toEqual({ ...fromConfig, push: false }));
  it('an empty LOCAL_DEV_REGISTRY is no override', () => expect(effectiveRegistry(fromConfig, { LOCAL_DEV_REGISTRY: '' })).toEqual(fromConfig));
  it('a bad url in the environment names the variable and the fix', () => {
    expect(() => effectiveRegistry(fromConfig, { LOCAL_DEV_REGISTRY: 'http://x:5000' })).toThrow(UsageError);
    expect(() => effectiveRegistry(fromConfig, { LOCAL_DEV_REGISTRY: 'http://x:5000' })).toThrow(/LOCAL_DEV_REGISTRY=http:\/\/x:5000 has a scheme/);
  });
  it('a push switch that is neither on nor off is refused', () =>
    expect(() => effectiveRegistry(fromConfig, { LOCAL_DEV_REGISTRY_PUSH: 'maybe' })).toThrow(/LOCAL_DEV_REGISTRY_PUSH=maybe is neither on nor off/));
});

describe("config.yaml's registry: key", () => {
  const services = ['services:', '  api:', '    repo: git@example.com:team/api.git'];
  it('becomes the model, push off unless said', () => {
    expect(parseConfigText(yaml(['registry:', '  url: registry.internal:5000/local-dev', ...services]), CONFIG_FILE).registry).toEqual({
      url: 'registry.internal:5000/local-dev',
      push: false,
    });
    expect(parseConfigText(yaml(['registry: { url: "127.0.0.1:5000", push: true }', ...services]), CONFIG_FILE).registry).toEqual({
      url: '127.0.0.1:5000',
      push: true,
    });
    expect(parseConfigText(yaml(services), CONFIG_FILE).registry).toBeUndefined();
  });
  it('a bad url is said at its line, with the fix', () => {
    expect(problemsIn(yaml([...services, 'registry:', '  url: https://registry.internal/x', '  push: true']))).toEqual([
      {
        file: CONFIG_FILE,
        line: 5,
        message: expect.stringContaining('"https://registry.internal/x" has a scheme'),
        fix: 'write it like registry.internal:5000/local-dev',
      },
    ]);
  });
  it('a misspelt key gets a did-you-mean, a missing url is said', () => {
    expect(problemsIn(yaml([...services, 'registry:', '  url: registry.internal:5000/x', '  pussh: true']))).toEqual([
      expect.objectContaining({ line: 6, message: expect.stringContaining('unknown key "pussh"'), fix: 'did you mean "push"?' }),
    ]);
    expect(problemsIn(yaml([...services, 'registry:', '  push: true']))).toEqual([
      expect.objectContaining({ line: 4, message: expect.stringContaining('registry.url') }),
    ]);
  });
  it('push must be true or false', () => {
    expect(problemsIn(yaml([...services, 'registry:', '  url: registry.internal:5000/x', '  push: yes please']))).toEqual([
      expect.objectContaining({ line: 6, message: expect.stringContaining('registry.push') }),
    ]);
  });
});
