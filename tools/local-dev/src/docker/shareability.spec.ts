import { readIgnorePatterns, ignoreMatcher } from './build-context';
import { buildVerdict, exactPattern, generatedIgnoreText, shareability, type ShareabilityInput } from './shareability';

const input: ShareabilityInput = {
  secretsInContext: ['config/.env'],
  dockerfileText: 'FROM busybox:1.36\nWORKDIR /app\nCOPY . .\n',
  buildArgs: {},
  builder: 'buildkit',
  dockerfileInClone: true,
};

describe('shareability (decided before the build)', () => {
  it('keeps a secret of a simple COPY . out of the context and says where up copies it', () => {
    expect(shareability(input)).toEqual({ shareable: true, exclude: ['config/.env'], copies: [{ file: 'config/.env', to: ['/app/config/.env'] }] });
  });

  it('is shareable with nothing to do when the context holds no secret (the repo ignores it, or there is none)', () => {
    expect(shareability({ ...input, secretsInContext: [] })).toEqual({ shareable: true, exclude: [], copies: [] });
  });

  it('excludes a secret the image never copies, and copies nothing in', () => {
    expect(shareability({ ...input, dockerfileText: 'FROM busybox\nCOPY src /app\n' })).toEqual({ shareable: true, exclude: ['config/.env'], copies: [] });
  });

  it.each<[string, Partial<ShareabilityInput>, RegExp]>([
    ['the legacy builder', { builder: 'legacy' }, /legacy builder reads no Dockerfile-specific ignore file/],
    ['a Dockerfile outside the clone', { dockerfileInClone: false }, /not inject-config's copy/],
    ['ADD', { dockerfileText: 'FROM busybox\nADD . /app\n' }, /config\/\.env .*ADD copies/],
    ['a wildcard COPY', { dockerfileText: 'FROM busybox\nCOPY conf* /app/\n' }, /wildcard source reaches/],
    ['COPY --from a stage holding it', { dockerfileText: 'FROM busybox AS b\nCOPY . /s\nFROM busybox\nCOPY --from=b /s /app\n' }, /build stage b/],
  ])('is local-only, with the reason, for %s', (_what, change, reason) => {
    const verdict = shareability({ ...input, ...change });
    expect(verdict.shareable).toBe(false);
    expect(verdict).toMatchObject({ reason: expect.stringMatching(reason) });
  });
});

describe('the generated ignore file', () => {
  it("keeps the repo's rules and excludes exactly the secret files, even against the repo's exceptions", () => {
    const text = generatedIgnoreText('node_modules\n!config/**', ['config/.env', 'weird [1]*.yaml']);
    const { excludes } = ignoreMatcher(readIgnorePatterns(text));
    expect(excludes('config/.env')).toBe(true);
    expect(excludes('weird [1]*.yaml')).toBe(true);
    expect(excludes('weird 1x.yaml')).toBe(false);
    expect(excludes('config/base.yaml')).toBe(false);
    expect(excludes('node_modules/x')).toBe(true);
    expect(excludes('sub/config/.env')).toBe(false);
    expect(exactPattern('a!b')).toBe('/a\\!b');
  });
});

describe('buildVerdict (the context the build really sends)', () => {
  it('turns a planned shareable verdict local-only when a secret is still in the context, naming the ignore file to regenerate', () => {
    const planned = shareability(input);
    expect(buildVerdict(planned, [], 'api.dev.Dockerfile.dockerignore')).toBe(planned);
    expect(buildVerdict(planned, ['config/.env'], 'api.dev.Dockerfile.dockerignore')).toEqual({
      shareable: false,
      reason: 'the build context holds config/.env: api.dev.Dockerfile.dockerignore is missing or out of date (nx run <service>:inject-config writes it)',
    });
  });
});
