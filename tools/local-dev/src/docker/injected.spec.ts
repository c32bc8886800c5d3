import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RepoModel, ServiceModel } from '../config/model';
import { workspacePaths } from '../core/workspace';
import { injectedFiles } from './injected';

describe('injectedFiles', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'local-dev-injected-'));
    mkdirSync(path.join(root, 'cloned/oms/.git'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = () => ({
    paths: workspacePaths(root),
    repo: { dir: 'oms', configs: [{ source: 'oms.yaml', dest: 'config/local.yaml', required: true }] } as RepoModel,
    service: { dockerfile: 'oms-worker.dev.Dockerfile' } as ServiceModel,
  });

  it('lists the Dockerfile copy and the config dests from the model when there is no manifest', () => {
    expect(injectedFiles(run())).toEqual(['config/local.yaml', 'oms-worker.dev.Dockerfile']);
  });

  it('adds every file inject-config recorded in its manifest (e.g. debug configs)', () => {
    mkdirSync(path.join(root, 'cloned/oms/.git/local-dev'));
    const manifest = {
      version: 1,
      namespace: 's1',
      injectedAt: 'now',
      files: [{ dest: '.vscode/launch.json', kind: 'debug-config', origin: 'x', sha256: 'y', createdDirs: [] }],
    };
    writeFileSync(path.join(root, 'cloned/oms/.git/local-dev/injected.json'), JSON.stringify(manifest));
    expect(injectedFiles(run())).toEqual(['.vscode/launch.json', 'config/local.yaml', 'oms-worker.dev.Dockerfile']);
  });
});
