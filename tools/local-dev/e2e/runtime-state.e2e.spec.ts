/**
 * What `up`'s custom hasher adds to its hash (src/runtime-state/up-state.ts, hashers.ts), against
 * real containers in the real Docker engine, labelled as local-dev labels them. It decides when Nx
 * may skip a service's `up`: only while its container in THIS workspace runs the image of its
 * build record with the definition docker-compose.yml gives it — and then with the token the run
 * that started it was hashed under, so that run's cache entry is found.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeDocument } from '../src/compose/document';
import { renderCompose } from '../src/compose/write';
import { parseConfigText } from '../src/config/load';
import { workspaceId } from '../src/core/naming';
import { settleUp, upStateTokens } from '../src/runtime-state/up-state';
import { docker, removeByWorkspaceLabel } from './fixtures/stack/stack';

jest.setTimeout(60_000);

const IMAGE = 'busybox:1.36';

/** docker-compose.yml exactly as docker-compose:generate writes it, for api and web; `apiLevel` changes api's definition. */
function generatedCompose(workspace: string, apiLevel: string): { text: string; definitions: Record<string, string> } {
  const config = [
    'services:',
    '  api:',
    '    repo: git@example.invalid:team/api.git',
    `    environment: { LEVEL: "${apiLevel}" }`,
    '  web:',
    '    repo: git@example.invalid:team/web.git',
    '',
  ].join('\n');
  const document = composeDocument(parseConfigText(config, 'config.yaml'), { namespace: 's1', workspaceId: workspaceId(workspace) });
  const definitions = Object.fromEntries(Object.entries(document.services).map(([name, entry]) => [name, entry.labels['io.local-dev.definition']]));
  return { text: renderCompose(document, 's1'), definitions };
}

describe('up runtime input (state.js up, real engine)', () => {
  let root: string;
  let other: string;
  let compose: { text: string; definitions: Record<string, string> };
  const tokens = () => upStateTokens(root, ['web', 'api']);
  const start = (workspace: string, service: string, definition: string) =>
    docker([
      'run',
      '--detach',
      ...['workspace', 'service', 'definition'].flatMap((key, i) => ['--label', `io.local-dev.${key}=${[workspaceId(workspace), service, definition][i]}`]),
      IMAGE,
      'sleep',
      '300',
    ]);
  const record = (service: string, image: string) => {
    mkdirSync(path.join(root, 'logs', 'images'), { recursive: true });
    writeFileSync(path.join(root, 'logs', 'images', `${service}.json`), `${JSON.stringify({ service, image }, null, 2)}\n`);
  };

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'local-dev-up-state-')));
    other = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'local-dev-up-state-other-')));
    compose = generatedCompose(root, 'one');
    writeFileSync(path.join(root, 'docker-compose.yml'), compose.text);
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
    const cold = await tokens();
    expect(Object.keys(cold).sort()).toEqual(['api', 'web']);
    expect(await tokens()).toEqual(cold);
    // What the cold run's `up`s do: start the containers, then settle once healthy.
    start(root, 'api', compose.definitions.api);
    start(root, 'web', compose.definitions.web);
    await settleUp(root, 'api');
    await settleUp(root, 'web');
    expect(await tokens()).toEqual(cold);
  });

  it('a container of the same service in another workspace does not count', async () => {
    const before = await tokens();
    start(other, 'api', compose.definitions.api);
    await settleUp(root, 'api');
    // api has no container in this workspace: unsatisfied, so never the settled token.
    const after = await tokens();
    expect(after.api).not.toBe(before.api);
    expect((await tokens()).api).toBe(after.api);
  });

  it('a stopped container, a new image in the record or a new definition gives a token no run succeeded under', async () => {
    // Tokens some run succeeded under (settleUp is what a successful `up` does last).
    const succeededUnder = new Set<string>();
    const apiToken = async () => (await tokens()).api;
    const succeed = async () => {
      succeededUnder.add(await apiToken());
      await settleUp(root, 'api');
    };
    const container = start(root, 'api', compose.definitions.api);
    await succeed();
    const settled = await apiToken();
    expect(succeededUnder.has(settled)).toBe(true);

    record('api', 'local-dev/api:0123456789ab');
    expect(succeededUnder.has(await apiToken())).toBe(false);
    record('api', IMAGE);
    expect(await apiToken()).toBe(settled);

    writeFileSync(path.join(root, 'docker-compose.yml'), generatedCompose(root, 'two').text);
    expect(succeededUnder.has(await apiToken())).toBe(false);
    writeFileSync(path.join(root, 'docker-compose.yml'), compose.text);
    expect(await apiToken()).toBe(settled);

    docker(['stop', '--time', '0', container]);
    const stopped = await apiToken();
    expect(succeededUnder.has(stopped)).toBe(false);
    // Every hashing round of a run prints the same, until a run settles.
    expect(await apiToken()).toBe(stopped);
    docker(['start', container]);
    await succeed();
    docker(['stop', '--time', '0', container]);
    // Stopped again, exactly as before: still never a token a run succeeded under.
    expect(succeededUnder.has(await apiToken())).toBe(false);
  });

  it('without a build record or a compose entry, never settled', async () => {
    start(root, 'api', compose.definitions.api);
    rmSync(path.join(root, 'logs', 'images', 'api.json'));
    const before = (await tokens()).api;
    await settleUp(root, 'api');
    expect((await tokens()).api).not.toBe(before);
  });

  it('when the engine cannot be asked (over its socket or through the CLI), fails with the reason (the hasher then gives a token that never repeats)', async () => {
    const noDocker = mkdtempSync(path.join(os.tmpdir(), 'local-dev-no-docker-'));
    const saved = { DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONTEXT: process.env.DOCKER_CONTEXT, PATH: process.env.PATH };
    try {
      // A stand-in docker that fails as a client does when the engine is down.
      writeFileSync(path.join(noDocker, 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 1\n', { mode: 0o755 });
      process.env.DOCKER_HOST = `unix://${path.join(noDocker, 'absent.sock')}`;
      await expect(tokens()).rejects.toThrow(/cannot reach the Docker engine/);
      delete process.env.DOCKER_HOST;
      // A context other than the default: asked through the CLI, here the failing stand-in.
      process.env.DOCKER_CONTEXT = 'stand-in';
      process.env.PATH = `${noDocker}${path.delimiter}${saved.PATH}`;
      await expect(tokens()).rejects.toThrow(/Cannot connect to the Docker daemon/);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      rmSync(noDocker, { recursive: true, force: true });
    }
  });
});
