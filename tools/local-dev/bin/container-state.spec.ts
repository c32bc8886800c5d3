/**
 * container-state.sh decides when Nx may skip a service's `up`: only while its container in THIS
 * workspace runs the image of its build record with the definition docker-compose.yml gives it.
 * Against real containers in the real Docker engine, labelled as local-dev labels them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeDocument } from '../src/compose/document';
import { renderCompose } from '../src/compose/write';
import { parseConfigText } from '../src/config/load';
import { workspaceId } from '../src/docker/naming';
import { docker, removeByWorkspaceLabel } from '../e2e/fixtures/stack/stack';

jest.setTimeout(60_000);

const SCRIPT = path.resolve(__dirname, 'container-state.sh');
const IMAGE = 'busybox:1.36';

/**
 * docker-compose.yml exactly as docker-compose:generate writes it, for api and web; `apiLevel`
 * changes api's environment and so its definition label. Returns the file and the labels.
 */
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

describe('container-state.sh (runtime input of up)', () => {
  let root: string;
  let other: string;
  let compose: { text: string; definitions: Record<string, string> };
  const state = (service: string) => execFileSync('sh', [SCRIPT, service], { cwd: root }).toString();
  const start = (workspace: string, service: string, definition: string) =>
    docker(['run', '--detach', ...['workspace', 'service', 'definition'].flatMap((key, i) => ['--label', `io.local-dev.${key}=${[workspaceId(workspace), service, definition][i]}`]), IMAGE, 'sleep', '300']);
  const record = (service: string, image: string) => {
    mkdirSync(path.join(root, 'logs', 'images'), { recursive: true });
    writeFileSync(path.join(root, 'logs', 'images', `${service}.json`), `${JSON.stringify({ service, image }, null, 2)}\n`);
  };

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'local-dev-containers-')));
    other = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'local-dev-containers-other-')));
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

  it('repeats while the service runs its recorded image with its definition, whatever the others do', () => {
    start(root, 'api', compose.definitions.api);
    const first = state('api');
    expect(first).toBe(`api runs ${IMAGE} with definition ${compose.definitions.api} in workspace ${workspaceId(root)}\n`);
    expect(state('api')).toBe(first);
    expect(state('web')).toMatch(/^not as built: web /);
  });

  it('never repeats when the service runs only in another workspace', () => {
    start(other, 'api', compose.definitions.api);
    const first = state('api');
    expect(first).toMatch(/^not as built: api \(runs: nothing; .*\) at \d+-\d+\n$/);
    expect(state('api')).not.toBe(first);
  });

  it('never repeats once the container stops, or when the record or the definition wants something else', () => {
    const container = start(root, 'api', compose.definitions.api);
    record('api', 'local-dev/api:0123456789ab');
    expect(state('api')).toContain(`wanted: local-dev/api:0123456789ab ${compose.definitions.api}`);
    record('api', IMAGE);
    const changed = generatedCompose(root, 'two');
    expect(changed.definitions.api).not.toBe(compose.definitions.api);
    writeFileSync(path.join(root, 'docker-compose.yml'), changed.text);
    expect(state('api')).toContain(`wanted: ${IMAGE} ${changed.definitions.api}`);
    writeFileSync(path.join(root, 'docker-compose.yml'), compose.text);
    expect(state('api')).toMatch(/^api runs /);
    docker(['stop', '--time', '0', container]);
    expect(state('api')).toMatch(/^not as built: api /);
    expect(state('api')).not.toBe(state('api'));
  });

  it('never repeats without a build record or a compose entry for the service', () => {
    start(root, 'api', compose.definitions.api);
    rmSync(path.join(root, 'logs', 'images', 'api.json'));
    expect(state('api')).toMatch(/^not as built: api \(no build record\)/);
    record('db', IMAGE);
    expect(state('db')).toMatch(/^not as built: db \(not in docker-compose.yml\)/);
  });
});
