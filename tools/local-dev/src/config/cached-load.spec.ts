import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { loadConfigCached } from './cached-load';

describe('loadConfigCached', () => {
  let root: string;
  const previous = process.env.NX_WORKSPACE_DATA_DIRECTORY;
  const cacheFile = () => path.join(root, 'data', 'local-dev-model.json');
  const writeConfig = (text: string) => writeFileSync(path.join(root, 'repos_docker_files', 'config.yaml'), text);

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-model-'));
    process.env.NX_WORKSPACE_DATA_DIRECTORY = path.join(root, 'data');
    mkdirSync(path.join(root, 'repos_docker_files'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    if (previous === undefined) delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    else process.env.NX_WORKSPACE_DATA_DIRECTORY = previous;
  });

  it('answers from the disk cache while the config is unchanged', () => {
    writeConfig('services:\n  api:\n    repo: a.git\n');
    expect(loadConfigCached(root).network).toBe('oh-network');
    // Proof that the next load reads the cache instead of parsing: what the cache says wins.
    const cached = JSON.parse(readFileSync(cacheFile(), 'utf8')) as { key: string; value: { network: string } };
    cached.value.network = 'from-the-cache';
    writeFileSync(cacheFile(), JSON.stringify(cached));
    expect(loadConfigCached(root).network).toBe('from-the-cache');
  });

  it('parses again when the config changes', () => {
    writeConfig('services:\n  api:\n    repo: a.git\n');
    loadConfigCached(root);
    writeConfig('network: other\nservices:\n  api:\n    repo: a.git\n');
    expect(loadConfigCached(root).network).toBe('other');
  });

  it('never caches a broken config: every load reports its problems', () => {
    writeConfig('services:\n  api:\n    repo: a.git\n');
    loadConfigCached(root);
    writeConfig('services:\n  api:\n    repo: a.git\n    prots: [80]\n');
    expect(() => loadConfigCached(root)).toThrow(ConfigError);
    expect(() => loadConfigCached(root)).toThrow('did you mean "ports"?');
  });

  it('reports a missing config.yaml with its fix', () => {
    expect(() => loadConfigCached(root)).toThrow(ConfigError);
  });

  it('never writes a config whose repo URL carries a credential, and removes such a cache left by an older version', () => {
    const url = 'https://x-access-token:ghp_s3cret@github.com/o/api.git';
    writeConfig(`services:\n  api:\n    repo: ${url}\n`);
    // What an older local-dev left behind for this very config.
    const older = { ...loadConfigCached(root), network: 'from-an-older-cache' };
    mkdirSync(path.dirname(cacheFile()), { recursive: true });
    const key = 'whatever the older key was';
    writeFileSync(cacheFile(), JSON.stringify({ key, value: older }));
    // The clone needs the real URL: the model has it, parsed afresh on every load.
    expect(loadConfigCached(root).repos[0].url).toBe(url);
    expect(loadConfigCached(root).network).toBe('oh-network');
    expect(existsSync(cacheFile())).toBe(false);
    const holding = (file: string) => statSync(path.join(root, file)).isFile() && readFileSync(path.join(root, file), 'utf8').includes('ghp_s3cret');
    expect(readdirSync(root, { recursive: true }).map(String).filter(holding)).toEqual(['repos_docker_files/config.yaml']);
  });
});
