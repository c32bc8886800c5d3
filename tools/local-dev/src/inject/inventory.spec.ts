/**
 * Symlinks among the sources (issue 9 item 4), with real files, real symlinks and a real clone:
 * a committed file that is a link is refused and what it points at never lands in the clone; the
 * user's own links are followed and named in the output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RepoModel, ServiceModel } from '../config/model';
import { UsageError } from '../core/errors';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { applyInjection } from './apply';
import { readInventory } from './inventory';
import { planInjection } from './plan';

let root: string;
let paths: WorkspacePaths;
let outside: string;
let lines: string[];

const service: ServiceModel = {
  name: 'app',
  kind: 'service',
  owner: 'app',
  dir: 'app',
  dockerfile: 'app.dev.Dockerfile',
  ports: [],
  environment: {},
  buildArgs: {},
  buildSecrets: [],
  healthcheck: { type: 'none' },
  dependsOn: [],
};
const repo: RepoModel = {
  url: 'file:///nowhere/app.git',
  dir: 'app',
  branch: 'main',
  alwaysRefresh: false,
  owner: 'app',
  services: ['app'],
  configs: [{ source: 'app.env', dest: '.env', required: true }],
};

function write(relative: string, content: string): string {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

function link(target: string, relative: string): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  symlinkSync(target, path.join(root, relative));
}

const clone = () => path.join(paths.cloned, 'app');

/** readInventory → planInjection → applyInjection, as inject-config runs them. */
async function inject(): Promise<string[]> {
  lines = [];
  const plan = planInjection({ namespace: 's1', repo, services: [service], inventory: readInventory(paths, 's1', repo, [service]) });
  await applyInjection({ root: clone(), display: 'cloned/app' }, plan, 's1', root, (line) => lines.push(line));
  return lines;
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-inventory-'));
  paths = workspacePaths(root);
  outside = mkdtempSync(path.join(os.tmpdir(), 'local-dev-outside-'));
  writeFileSync(path.join(outside, 'id_rsa'), 'PRIVATE KEY of whoever runs this\n');
  write('configs/s1/app.env', 'TOKEN=s1\n');
  write('repos_docker_files/app.dev.Dockerfile', 'FROM busybox:1.36\n');
  write('cloned/app/README.md', 'app\n');
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['-c', 'user.email=t@local-dev.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'first'],
  ]) {
    const result = spawnSync('git', args, { cwd: clone(), encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
  }
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('committed files that are symlinks are refused', () => {
  it('a debug-config template linked to a file outside: refused, named with the fix, and its target never lands in the clone', async () => {
    link(path.join(outside, 'id_rsa'), 'configs/s1/debug-configs/app/id_rsa.example');
    const failure = inject();
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(
      `cannot inject configs into cloned/app (namespace s1); nothing was written:\n  - configs/s1/debug-configs/app/id_rsa.example is a symlink (to ${path.join(outside, 'id_rsa')}); committed files (*.example templates, repos_docker_files/) must be real files, so nothing from outside the repo lands in a clone: replace it with a real file (git rm configs/s1/debug-configs/app/id_rsa.example, then add the template text), and keep your own copy in a file without .example (gitignored), which may be a symlink`,
    );
    expect(readdirSync(clone()).sort()).toEqual(['.git', 'README.md']);
    const everything = spawnSync('grep', ['-r', '-l', 'PRIVATE KEY', clone()], { encoding: 'utf8' });
    expect(everything.stdout).toBe('');
  });

  it('a template folder that is a link, and a Dockerfile that is a link, are refused the same way', async () => {
    mkdirSync(path.join(outside, 'ide'));
    writeFileSync(path.join(outside, 'ide/launch.json'), '{}\n');
    link(path.join(outside, 'ide'), 'configs/s1/debug-configs/app/.vscode.example');
    rmSync(path.join(root, 'repos_docker_files/app.dev.Dockerfile'));
    link(path.join(outside, 'id_rsa'), 'repos_docker_files/app.dev.Dockerfile');
    const failure = inject();
    await expect(failure).rejects.toThrow(/- configs\/s1\/debug-configs\/app\/\.vscode\.example is a symlink \(to .*\/ide\); committed files/);
    await expect(failure).rejects.toThrow(/- repos_docker_files\/app\.dev\.Dockerfile is a symlink \(to .*\/id_rsa\); committed files/);
    expect(existsSync(path.join(clone(), 'app.dev.Dockerfile'))).toBe(false);
  });
});

describe("the user's own (gitignored) files that are symlinks", () => {
  it('are followed, and the output says where each link points, once per link', async () => {
    mkdirSync(path.join(outside, 'vault'));
    writeFileSync(path.join(outside, 'vault/app.env'), 'TOKEN=from-the-vault\n');
    rmSync(path.join(root, 'configs/s1/app.env'));
    link(path.join(outside, 'vault/app.env'), 'configs/s1/app.env');
    mkdirSync(path.join(outside, 'dotfiles/.vscode'), { recursive: true });
    writeFileSync(path.join(outside, 'dotfiles/.vscode/launch.json'), '{ "ns": "{{namespace}}" }\n');
    writeFileSync(path.join(outside, 'dotfiles/.vscode/settings.json'), '{}\n');
    link(path.join(outside, 'dotfiles'), 'configs/s1/debug-configs/app');
    expect(await inject()).toEqual([
      'injected config configs/s1/app.env → .env',
      'injected Dockerfile repos_docker_files/app.dev.Dockerfile → app.dev.Dockerfile (app; shared, no s1/ override)',
      'injected debug config configs/s1/debug-configs/app/.vscode/launch.json → .vscode/launch.json',
      'injected debug config configs/s1/debug-configs/app/.vscode/settings.json → .vscode/settings.json',
      `followed symlink configs/s1/app.env → ${path.join(outside, 'vault/app.env')}`,
      `followed symlink configs/s1/debug-configs/app → ${path.join(outside, 'dotfiles')}`,
    ]);
    expect(readFileSync(path.join(clone(), '.env'), 'utf8')).toBe('TOKEN=from-the-vault\n');
    expect(readFileSync(path.join(clone(), '.vscode/launch.json'), 'utf8')).toBe('{ "ns": "s1" }\n');
  });

  it('a secret linked to nothing (a vault not mounted) is named as such, not as missing', async () => {
    rmSync(path.join(root, 'configs/s1/app.env'));
    link('/mnt/not-mounted/app.env', 'configs/s1/app.env');
    await expect(inject()).rejects.toThrow(`${path.join(root, 'configs/s1/app.env')} is a symlink to /mnt/not-mounted/app.env, which does not exist`);
  });

  it('a template inside a folder the user linked is theirs, not committed, and is followed', async () => {
    mkdirSync(path.join(outside, 'dotfiles'));
    writeFileSync(path.join(outside, 'dotfiles/launch.json.example'), '{}\n');
    link(path.join(outside, 'dotfiles'), 'configs/s1/debug-configs/app');
    expect(await inject()).toContain(`followed symlink configs/s1/debug-configs/app → ${path.join(outside, 'dotfiles')}`);
    expect(readFileSync(path.join(clone(), 'launch.json'), 'utf8')).toBe('{}\n');
  });
});
