/**
 * container-state.sh decides when Nx may skip a service's `up`: only while its container in THIS
 * workspace runs the image of its build record with the definition docker-compose.yml gives it.
 * Against real containers in the real Docker engine, labelled as local-dev labels them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { workspaceId } from '../src/docker/naming';
import { docker, removeByWorkspaceLabel } from '../e2e/fixtures/stack/stack';

jest.setTimeout(60_000);

const SCRIPT = path.resolve(__dirname, 'container-state.sh');
const IMAGE = 'busybox:1.36';

/** The parts of a generated docker-compose.yml the script reads (see src/compose/document.ts). */
function composeFile(definitions: Record<string, string>): string {
  const lines = ['version: "3.8"', 'services:'];
  for (const [service, definition] of Object.entries(definitions)) {
    lines.push(`  ${service}:`, '    build:', '      labels:', `        io.local-dev.service: "${service}"`, '    labels:');
    lines.push(`      io.local-dev.service: "${service}"`, `      io.local-dev.definition: "${definition}"`);
  }
  return `${lines.join('\n')}\n`;
}

describe('container-state.sh (runtime input of up)', () => {
  let root: string;
  let other: string;
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
    writeFileSync(path.join(root, 'docker-compose.yml'), composeFile({ api: 'def-api', web: 'def-web' }));
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
    start(root, 'api', 'def-api');
    const first = state('api');
    expect(first).toBe(`api runs ${IMAGE} with definition def-api in workspace ${workspaceId(root)}\n`);
    expect(state('api')).toBe(first);
    expect(state('web')).toMatch(/^not as built: web /);
  });

  it('never repeats when the service runs only in another workspace', () => {
    start(other, 'api', 'def-api');
    const first = state('api');
    expect(first).toMatch(/^not as built: api \(runs: nothing; .*\) at \d+-\d+\n$/);
    expect(state('api')).not.toBe(first);
  });

  it('never repeats once the container stops, or when the record or the definition wants something else', () => {
    const container = start(root, 'api', 'def-api');
    record('api', 'local-dev/api:0123456789ab');
    expect(state('api')).toMatch(/^not as built: api .*wanted: local-dev\/api:0123456789ab def-api/);
    record('api', IMAGE);
    writeFileSync(path.join(root, 'docker-compose.yml'), composeFile({ api: 'def-api-2', web: 'def-web' }));
    expect(state('api')).toMatch(/^not as built: api .*wanted: busybox:1.36 def-api-2/);
    writeFileSync(path.join(root, 'docker-compose.yml'), composeFile({ api: 'def-api', web: 'def-web' }));
    expect(state('api')).toMatch(/^api runs /);
    docker(['stop', '--time', '0', container]);
    expect(state('api')).toMatch(/^not as built: api /);
    expect(state('api')).not.toBe(state('api'));
  });

  it('never repeats without a build record or a compose entry for the service', () => {
    start(root, 'api', 'def-api');
    rmSync(path.join(root, 'logs', 'images', 'api.json'));
    expect(state('api')).toMatch(/^not as built: api \(no build record\)/);
    record('api', IMAGE);
    writeFileSync(path.join(root, 'docker-compose.yml'), composeFile({ web: 'def-web' }));
    expect(state('api')).toMatch(/^not as built: api \(not in docker-compose.yml\)/);
  });
});
