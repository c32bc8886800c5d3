/**
 * `nx run stack:doctor` with a team registry configured (issue 24), for real: Debian's
 * docker-registry on 127.0.0.1 (e2e/support/registry.ts), a 2-service stack cloned and injected from
 * local bare remotes, and the real Docker engine. svc-1's clone holds an injected secret file, and
 * its Dockerfile ADDs the clone: build-image cannot tell where ADD puts it, so svc-1's image stays on
 * this laptop; svc-0's can be shared. The kubectl STAND-IN answers doctor's kubectl question
 * (Kubernetes cannot run here).
 */
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { freePort } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { startTestRegistry, type TestRegistry } from './support/registry';
import { initWorkspace, type RunResult } from './support/temp-workspace';

jest.setTimeout(240_000);

const ADD_DOCKERFILE = ['FROM busybox:1.36', 'ADD . /app', 'CMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/app"]', ''].join('\n');

describe('doctor with a registry (real docker-registry)', () => {
  let registry: TestRegistry;
  let harness: Harness;
  let stack: StackWorkspace;
  const env = () => ({
    ...harness.env,
    NX_DAEMON: 'false',
    NX_TUI: 'false',
    NX_NO_CLOUD: 'true',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    LOCAL_DEV_REGISTRY: undefined,
  });
  const doctor = () => stack.workspace.nx(['run', 'stack:doctor', '--namespace=s1'], { env: env(), timeoutMs: 120_000 });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  /** The doctor lines about the registry and the images (each check's line, and its fix under it). */
  const registryLines = (output: string) =>
    output
      .split('\n')
      .map((line) => line.trimEnd())
      .filter(
        (line, index, lines) =>
          /^[✔⚠✖] (registry|shareable images|image of )/.test(line) || (/^ {4}fix: /.test(line) && /^[✔⚠✖] (registry|image of )/.test(lines[index - 1] ?? '')),
      );

  beforeAll(async () => {
    registry = await startTestRegistry();
    harness = createHarness();
    stack = await createStackWorkspace({ repos: 2, workers: 0, redisPort: await freePort(), name: 'doctor-registry', secretFile: true });
    const config = readFileSync(path.join(stack.workspace.root, 'repos_docker_files/config.yaml'), 'utf8');
    stack.workspace.write('repos_docker_files/config.yaml', `${config}registry: { url: ${registry.host}/local-dev, push: true }\n`);
    stack.workspace.write('repos_docker_files/svc-1.dev.Dockerfile', ADD_DOCKERFILE);
    await initWorkspace(stack.workspace);
    // Cloned, and the secret file injected into svc-1's clone: what the verdict is decided from.
    expectOk(await stack.workspace.nx(['run-many', '-t', 'inject-config', '--namespace=s1'], { env: env(), timeoutMs: 180_000 }));
  });

  afterAll(async () => {
    await harness?.cleanup();
    await registry?.remove();
    stack?.remove();
  });

  it('registry stopped: doctor fails, saying it does not answer and what to check', async () => {
    await registry.stop();
    const result = await doctor();
    expect(result.code).not.toBe(0);
    const lines = registryLines(result.output);
    expect(lines[0]).toMatch(new RegExp(`^✖ registry: ${registry.host.replace(/\./g, '\\.')} does not answer: `));
    expect(lines[1]).toBe(`    fix: check the registry's url (${registry.host}/local-dev) and that it runs; until then every image is built here`);
    expect(result.output).toContain('checks failed');
  });

  it('registry running: reachable, no login needed, push allowed — and svc-1’s image named as staying on this laptop, with why and the fix', async () => {
    await registry.start();
    const result = await doctor();
    expectOk(result);
    expect(registryLines(result.output)).toEqual([
      `✔ registry: ${registry.host} answers`,
      '✔ registry credentials: no login needed',
      `✔ registry push: this machine may push to ${registry.host}/local-dev/svc-0`,
      '✔ shareable images: can be shared: svc-0',
      '⚠ image of svc-1: stays on this laptop (never pushed or pulled, always built here): the build context holds secret.env and the Dockerfile is not simple enough to tell where it lands: ADD copies secret.env (it can unpack archives and fetch URLs: only COPY is read) (line 2: ADD . /app)',
      "    fix: copy it with COPY instead of ADD; or list the secret file in the repo's .dockerignore if the image does not need it",
    ]);
    // The push probe left nothing behind.
    expect(await registry.repositories()).toEqual([]);
  });
});
