/**
 * The runtime input of `up` (node tools/local-dev/runtime/state.js up <services file>), run as Nx
 * runs it, against real containers in the real Docker engine, labelled as local-dev labels them.
 * It decides when Nx may skip a service's `up`: only while its container in THIS workspace runs
 * the image of its build record with the definition docker-compose.yml gives it — and then with
 * the token the run that started it was hashed under, so that run's cache entry is found.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeDocument } from '../src/compose/document';
import { renderCompose } from '../src/compose/write';
import { parseConfigText } from '../src/config/load';
import { workspaceId } from '../src/docker/naming';
import { settleUp } from '../src/runtime-state/up-state';
import { docker, removeByWorkspaceLabel } from './fixtures/stack/stack';

jest.setTimeout(60_000);

const PROGRAM = path.resolve(__dirname, '..', 'runtime', 'state.js');
const IMAGE = 'busybox:1.36';
const SERVICES_FILE = 'services.txt';

/** docker-compose.yml exactly as docker-compose:generate writes it, for api and web; `apiLevel` changes api's definition. */
function generatedCompose(workspace: string, apiLevel: string): { text: string; definitions: Record<string, string> } {
  const config = ['services:', '  api:', '    repo: git@example.invalid:team/api.git', `    environment: { LEVEL: "${apiLevel}" }`, '  web:', '    repo: git@example.invalid:team/web.git', ''].join('\n');
  const document = composeDocument(parseConfigText(config, 'config.yaml'), { namespace: 's1', workspaceId: workspaceId(workspace) });
  const definitions = Object.fromEntries(Object.entries(document.services).map(([name, entry]) => [name, entry.labels['io.local-dev.definition']]));
  return { text: renderCompose(document, 's1'), definitions };
}

describe('up runtime input (state.js up, real engine)', () => {
  let root: string;
  let other: string;
  let compose: { text: string; definitions: Record<string, string> };
  const tokens = (env: NodeJS.ProcessEnv = process.env): Record<string, string> =>
    Object.fromEntries(
      execFileSync('node', [PROGRAM, 'up', SERVICES_FILE], { cwd: root, env })
        .toString()
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string]),
    );
  const start = (workspace: string, service: string, definition: string) =>
    docker(['run', '--detach', ...['workspace', 'service', 'definition'].flatMap((key, i) => ['--label', `io.local-dev.${key}=${[workspaceId(workspace), service, definition][i]}`]), IMAGE, 'sleep', '300']);
  const record = (service: string, image: string) => {
    mkdirSync(path.join(root, 'logs', 'images'), { recursive: true });
    writeFileSync(path.join(root, 'logs', 'images', `${service}.json`), `${JSON.stringify({ service, image }, null, 2)}\n`);
  };

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'local-dev-up-state-')));
    other = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'local-dev-up-state-other-')));
    compose = generatedCompose(root, 'one');
    writeFileSync(path.join(root, 'docker-compose.yml'), compose.text);
    writeFileSync(path.join(root, SERVICES_FILE), 'web\napi\n');
    record('api', IMAGE);
    record('web', IMAGE);
  });
  afterEach(() => {
    removeByWorkspaceLabel(workspaceId(root));
    removeByWorkspaceLabel(workspaceId(other));
    rmSync(root, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  });

  it('after a cold start, prints the tokens the cold run was hashed under: the first no-op finds that run in the cache', async () => {
    const cold = tokens();
    expect(Object.keys(cold)).toEqual(['api', 'web']);
    expect(tokens()).toEqual(cold);
    // What the cold run's `up`s do: start the containers, then settle once healthy.
    start(root, 'api', compose.definitions.api);
    start(root, 'web', compose.definitions.web);
    await settleUp(root, 'api');
    await settleUp(root, 'web');
    expect(tokens()).toEqual(cold);
  });

  it('a container of the same service in another workspace does not count', async () => {
    const before = tokens();
    start(other, 'api', compose.definitions.api);
    await settleUp(root, 'api');
    // api has no container in this workspace: unsatisfied, so never the settled token.
    const after = tokens();
    expect(after.api).not.toBe(before.api);
    expect(tokens().api).toBe(after.api);
  });

  it('a stopped container, a new image in the record or a new definition gives a token no run succeeded under', async () => {
    // Tokens some run succeeded under (settleUp is what a successful `up` does last).
    const succeededUnder = new Set<string>();
    const apiToken = () => tokens().api;
    const succeed = async () => {
      succeededUnder.add(apiToken());
      await settleUp(root, 'api');
    };
    const container = start(root, 'api', compose.definitions.api);
    await succeed();
    const settled = apiToken();
    expect(succeededUnder.has(settled)).toBe(true);

    record('api', 'local-dev/api:0123456789ab');
    expect(succeededUnder.has(apiToken())).toBe(false);
    record('api', IMAGE);
    expect(apiToken()).toBe(settled);

    writeFileSync(path.join(root, 'docker-compose.yml'), generatedCompose(root, 'two').text);
    expect(succeededUnder.has(apiToken())).toBe(false);
    writeFileSync(path.join(root, 'docker-compose.yml'), compose.text);
    expect(apiToken()).toBe(settled);

    docker(['stop', '--time', '0', container]);
    const stopped = apiToken();
    expect(succeededUnder.has(stopped)).toBe(false);
    // Every hashing round of a run prints the same, until a run settles.
    expect(apiToken()).toBe(stopped);
    docker(['start', container]);
    await succeed();
    docker(['stop', '--time', '0', container]);
    // Stopped again, exactly as before: still never a token a run succeeded under.
    expect(succeededUnder.has(apiToken())).toBe(false);
  });

  it('without a build record or a compose entry, never settled', async () => {
    start(root, 'api', compose.definitions.api);
    rmSync(path.join(root, 'logs', 'images', 'api.json'));
    const before = tokens().api;
    await settleUp(root, 'api');
    expect(tokens().api).not.toBe(before);
  });

  it('when the engine cannot be asked (over its socket or through the CLI), prints a line that never repeats', () => {
    const noDocker = mkdtempSync(path.join(os.tmpdir(), 'local-dev-no-docker-'));
    try {
      // A stand-in docker that fails as a client does when the engine is down.
      writeFileSync(path.join(noDocker, 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 1\n', { mode: 0o755 });
      const viaSocket = { ...process.env, DOCKER_HOST: `unix://${path.join(noDocker, 'absent.sock')}` };
      // A context other than the default: asked through the CLI, here the failing stand-in.
      const viaCli = { ...process.env, DOCKER_CONTEXT: 'stand-in', PATH: `${noDocker}${path.delimiter}${process.env.PATH}` };
      for (const env of [viaSocket, viaCli]) {
        const run = () => execFileSync('node', [PROGRAM, 'up', SERVICES_FILE], { cwd: root, env }).toString();
        const first = run();
        expect(first).toMatch(/^state up services\.txt failed at \d+-\d+: /);
        expect(run()).not.toBe(first);
      }
    } finally {
      rmSync(noDocker, { recursive: true, force: true });
    }
  });
});
