import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ServiceModel, WorkspaceModel } from '../config/model';
import { UsageError } from '../core/errors';
import { workspacePaths } from '../core/workspace';
import { buildVerdict, shareability, type ShareabilityInput } from '../docker/shareability';
import { localOnlyFix, NO_REGISTRY_CHECK, registryDoctorChecks, shareabilityChecks } from './doctor-registry';

/** build-image's own verdict (docker/shareability.ts) for a Dockerfile and a secret file secret.env in the context. */
const verdictOf = (dockerfileText: string, overrides: Partial<ShareabilityInput> = {}) =>
  shareability({ secretsInContext: ['secret.env'], dockerfileText, buildArgs: {}, builder: 'buildkit', dockerfileInClone: true, ...overrides });
const reasonOf = (dockerfileText: string, overrides: Partial<ShareabilityInput> = {}) => {
  const verdict = verdictOf(dockerfileText, overrides);
  if (verdict.shareable) throw new Error(`expected a local-only verdict for:\n${dockerfileText}`);
  return verdict.reason;
};

describe('doctor: images that cannot be shared', () => {
  // Each reason is the verdict build-image itself gives, so a reworded reason still finds its fix.
  it.each([
    ['ADD', 'FROM busybox\nADD . /app\n', {}, 'copy it with COPY instead of ADD'],
    ['a wildcard COPY', 'FROM busybox\nWORKDIR /app\nCOPY *.env ./\n', {}, 'name the files or folders that COPY takes instead of a wildcard'],
    ['a variable source', 'FROM busybox\nARG SRC\nCOPY $SRC /app\n', {}, 'write the path in that line out instead of a variable'],
    ['a variable destination', 'FROM busybox\nARG TO\nCOPY . $TO\n', {}, 'write the path in that line out instead of a variable'],
    ['a relative destination without WORKDIR', 'FROM busybox\nCOPY . app/\n', {}, 'copy to an absolute path, or set WORKDIR before that line'],
    [
      'COPY --from a build stage holding it',
      'FROM busybox AS build\nCOPY . /src\nFROM busybox\nCOPY --from=build /src /app\n',
      {},
      'copy the secret file only in the final stage (a build stage must not need it)',
    ],
    [
      'the legacy builder',
      'FROM busybox\nCOPY . /app\n',
      { builder: 'legacy' as const },
      'build with BuildKit (it reads the Dockerfile-specific ignore file local-dev writes)',
    ],
    [
      'a Dockerfile outside the clone',
      'FROM busybox\nCOPY . /app\n',
      { dockerfileInClone: false },
      '`nx run api:inject-config` puts the dev Dockerfile in the clone',
    ],
  ])('%s: the fix names what to change, and the .dockerignore way out', (_case, dockerfile, overrides, fix) => {
    expect(localOnlyFix('api', reasonOf(dockerfile, overrides))).toBe(
      `${fix}; or list the secret file in the repo's .dockerignore if the image does not need it`,
    );
  });

  it('a generated ignore file missing: run inject-config again', () => {
    const verdict = buildVerdict(verdictOf('FROM busybox\nCOPY . /app\n'), ['secret.env'], 'api.dev.Dockerfile.dockerignore');
    expect(verdict.shareable).toBe(false);
    expect(localOnlyFix('api', verdict.shareable ? '' : verdict.reason)).toMatch(/^`nx run api:inject-config` writes the ignore file again; or /);
  });

  it('a reason it does not know: only the .dockerignore way out', () => {
    expect(localOnlyFix('api', 'something new')).toBe("list the secret file in the repo's .dockerignore if the image does not need it");
  });

  it('one warning per local-only image with the reason and fix; the shareable, not cloned and unknown ones said', () => {
    const add = verdictOf('FROM busybox\nADD . /app\n');
    expect(
      shareabilityChecks([
        { service: 'api', verdict: verdictOf('FROM busybox\nCOPY . /app\n') },
        { service: 'web', verdict: add },
        { service: 'worker', notCloned: true },
        { service: 'jobs', unknown: 'no Dockerfile for jobs', fix: 'add repos_docker_files/jobs.dev.Dockerfile' },
      ]),
    ).toEqual([
      { name: 'shareable images', result: 'ok', detail: 'can be shared: api; not cloned yet (decided at the first build): worker' },
      {
        name: 'image of web',
        result: 'warn',
        detail: `stays on this laptop (never pushed or pulled, always built here): ${add.shareable ? '' : add.reason}`,
        fix: "copy it with COPY instead of ADD; or list the secret file in the repo's .dockerignore if the image does not need it",
      },
      {
        name: 'image of jobs',
        result: 'warn',
        detail: 'cannot tell whether it can be shared: no Dockerfile for jobs',
        fix: 'add repos_docker_files/jobs.dev.Dockerfile',
      },
    ]);
    expect(add.shareable ? '' : add.reason).toContain('ADD copies secret.env');
  });

  it.each([
    ['every image shareable', [{ service: 'api', verdict: verdictOf('FROM busybox\nCOPY . /app\n') }], 'can be shared: api'],
    ['no service chosen', [], 'no service chosen'],
  ])('%s: one ok line', (_case, images, detail) => {
    expect(shareabilityChecks(images)).toEqual([{ name: 'shareable images', result: 'ok', detail }]);
  });

  it('only local-only images: no ok line, only their warnings', () => {
    expect(shareabilityChecks([{ service: 'web', verdict: verdictOf('FROM busybox\nADD . /app\n') }]).map((check) => check.result)).toEqual(['warn']);
  });
});

describe('doctor: the registry', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(tmpdir(), 'local-dev-doctor-registry-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const request = (registry: WorkspaceModel['registry'], environment: NodeJS.ProcessEnv) => ({
    paths: workspacePaths(root),
    model: { registry, services: [], repos: [] } as unknown as WorkspaceModel,
    namespace: 's1',
    services: [] as ServiceModel[],
    environment,
  });

  it('none configured: one ok line saying how to set one up', async () => {
    await expect(registryDoctorChecks(request(undefined, {}))).resolves.toEqual([NO_REGISTRY_CHECK]);
    expect(NO_REGISTRY_CHECK.detail).toContain('LOCAL_DEV_REGISTRY');
  });

  it('a bad LOCAL_DEV_REGISTRY is a usage error naming the variable (doctor shows it as a failed check)', async () => {
    await expect(registryDoctorChecks(request(undefined, { LOCAL_DEV_REGISTRY: 'https://registry.internal:5000' }))).rejects.toThrow(UsageError);
    await expect(registryDoctorChecks(request(undefined, { LOCAL_DEV_REGISTRY: 'https://registry.internal:5000' }))).rejects.toThrow(/LOCAL_DEV_REGISTRY=/);
  });

  it('LOCAL_DEV_REGISTRY wins over config.yaml: the registry nobody serves on is the one checked', async () => {
    // Port 9 on 127.0.0.1 (discard): nothing listens, the connection is refused at once. Real sockets, no mock.
    const checks = await registryDoctorChecks(request({ url: 'registry.internal:5000/team', push: false }, { LOCAL_DEV_REGISTRY: '127.0.0.1:9/team' }));
    expect(checks[0]).toMatchObject({ name: 'registry', result: 'fail' });
    expect(checks[0].detail).toMatch(/^127\.0\.0\.1:9 does not answer/);
    expect(checks[0].fix).toContain('127.0.0.1:9/team');
  });
});
