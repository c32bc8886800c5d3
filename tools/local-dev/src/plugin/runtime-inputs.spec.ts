import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfigText } from '../config/load';
import { buildStateArgsFile, ensureRuntimeInputArgs, INJECTION_STATE_ARGS_FILE, RUNTIME_INPUTS_DIR, runtimeInput, runtimeInputArgs, UP_STATE_ARGS_FILE } from './runtime-inputs';

const CONFIG = `
services:
  api:
    repo: file:///srv/git/api.git
    dir: api-clone
    configs:
      - { source: configs/api_secrets.py, dest: app/secrets.py }
      - { source: shared.env, dest: .env }
    workers:
      api-worker: {}
  web:
    repo: file:///srv/git/web.git
`;

describe('runtimeInput', () => {
  it('joins plain words', () => {
    expect(runtimeInput('sh', 'tools/local-dev/bin/input-state.sh', '.nx/local-dev/runtime-inputs/build-image-api.txt')).toBe('sh tools/local-dev/bin/input-state.sh .nx/local-dev/runtime-inputs/build-image-api.txt');
  });

  it('refuses any word a shell would read as more than a word', () => {
    for (const word of ['x;touch /tmp/pwned', '`id`', '$(id)', 'a b', "it's", 'a|b', '*', '-rf', '../up', 'a/../../b', '']) {
      expect(() => runtimeInput('sh', 'tools/local-dev/bin/input-state.sh', word)).toThrow(/refusing to put .* into an Nx runtime input/);
    }
  });
});

describe('runtimeInputArgs', () => {
  it('gives each clone its secret patterns (shared by the services built from it), inject-config every clone folder and up every service, one per line', () => {
    const files = runtimeInputArgs(parseConfigText(CONFIG, 'config.yaml'));
    expect(files).toEqual({
      [INJECTION_STATE_ARGS_FILE]: 'api-clone\nweb\n',
      [UP_STATE_ARGS_FILE]: 'api\napi-worker\nweb\n',
      // api and its worker api-worker are built from one clone, with api's secrets: one file.
      [buildStateArgsFile('api')]: 'cloned/api-clone\nconfigs/*/api_secrets.py\nconfigs/*/shared.env\n',
      [buildStateArgsFile('web')]: 'cloned/web\n',
    });
  });
});

describe('ensureRuntimeInputArgs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-runtime-inputs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

  it('writes the files of a config, rewrites them for another, and removes those of services that left', () => {
    ensureRuntimeInputArgs(root, 'one', { [buildStateArgsFile('api')]: 'cloned/api\n', [buildStateArgsFile('old')]: 'cloned/old\n' });
    expect(read(buildStateArgsFile('api'))).toBe('cloned/api\n');
    ensureRuntimeInputArgs(root, 'two', { [buildStateArgsFile('api')]: 'cloned/api2\n' });
    expect(read(buildStateArgsFile('api'))).toBe('cloned/api2\n');
    expect(existsSync(path.join(root, buildStateArgsFile('old')))).toBe(false);
  });

  it('leaves the files alone while the key is the same, and restores them once the folder is gone', () => {
    ensureRuntimeInputArgs(root, 'one', { [buildStateArgsFile('api')]: 'cloned/api\n' });
    writeFileSync(path.join(root, buildStateArgsFile('api')), 'touched\n');
    ensureRuntimeInputArgs(root, 'one', { [buildStateArgsFile('api')]: 'cloned/api\n' });
    expect(read(buildStateArgsFile('api'))).toBe('touched\n');
    rmSync(path.join(root, '.nx'), { recursive: true });
    ensureRuntimeInputArgs(root, 'one', { [buildStateArgsFile('api')]: 'cloned/api\n' });
    expect(read(buildStateArgsFile('api'))).toBe('cloned/api\n');
    expect(RUNTIME_INPUTS_DIR.startsWith('.nx/')).toBe(true);
  });

  it('keeps files it does not know in a folder it did not make', () => {
    mkdirSync(path.join(root, RUNTIME_INPUTS_DIR), { recursive: true });
    ensureRuntimeInputArgs(root, 'one', { [INJECTION_STATE_ARGS_FILE]: 'api\n' });
    expect(read(INJECTION_STATE_ARGS_FILE)).toBe('api\n');
  });
});
