/**
 * The committed configs/ folders agree with the real config.yaml: every namespace has a template
 * for every secret file, every debug-config template renders, and git ignores the real files but
 * not the templates (so nothing secret is ever committed).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { workspacePaths } from '../core/workspace';
import { listNamespaces } from '../core/namespace';
import { readInventory } from './inventory';
import { planInjection } from './plan';

const ROOT = path.resolve(__dirname, '../../../..');
const model = loadConfig(ROOT);
const paths = workspacePaths(ROOT);
const namespaces = listNamespaces(paths);

function ignored(files: string[]): string[] {
  // Judged by the committed .gitignore alone, in a scratch repository: not by the folders around this
  // checkout (the mutation-testing sandbox lies in the ignored .stryker-tmp/, where every path is
  // ignored), and --no-index: whether or not the files exist or are tracked.
  const scratch = mkdtempSync(path.join(tmpdir(), 'ignore-check-'));
  try {
    copyFileSync(path.join(ROOT, '.gitignore'), path.join(scratch, '.gitignore'));
    const init = spawnSync('git', ['init', '-q'], { cwd: scratch, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(init.stderr);
    const result = spawnSync('git', ['check-ignore', '--no-index', '--stdin'], { cwd: scratch, input: files.join('\n'), encoding: 'utf8' });
    if (result.status !== 0 && result.status !== 1) throw new Error(result.stderr);
    return result.stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

it('has the namespaces the team uses', () => {
  expect(namespaces).toEqual(['auto', 'qa', 's1', 's2', 's3', 's4', 's5']);
});

it.each(namespaces)('configs/%s has a README and a template for every secret file', (namespace) => {
  expect(existsSync(path.join(paths.configs, namespace, 'README.md'))).toBe(true);
  const missing = model.repos.flatMap((repo) =>
    repo.configs.map((entry) => `configs/${namespace}/${entry.source}.example`).filter((file) => !existsSync(path.join(ROOT, file))),
  );
  expect(missing).toEqual([]);
});

it.each(namespaces)('the debug-config templates of configs/%s render without problems', (namespace) => {
  const rendered: string[] = [];
  for (const repo of model.repos) {
    const services = model.services.filter((service) => service.owner === repo.owner);
    const inventory = readInventory(paths, namespace, repo, services);
    const plan = planInjection({ namespace, repo, services, inventory: { ...inventory, dockerfiles: new Set(services.map((s) => s.dockerfile)) } });
    expect(plan.problems.filter((problem) => problem.includes('debug-configs'))).toEqual([]);
    for (const file of plan.files.filter((candidate) => candidate.kind === 'debug-config')) {
      expect(file.source.type === 'text' && file.source.text).not.toMatch(/\{\{/);
      rendered.push(`${repo.dir}/${file.dest}`);
    }
  }
  expect(rendered).toEqual(['health-api/.vscode/launch.json', 'scheduler-api/.vscode/launch.json']);
});

it('git ignores real secret files and personal debug configs, never the templates or READMEs', () => {
  const real = [
    'configs/s1/health_secrets.py',
    'configs/qa/oms.yaml',
    'configs/s2/anything-else.txt',
    'configs/s1/debug-configs/health-api/.vscode/launch.json',
  ];
  const committed = [
    'configs/README.md',
    'configs/s1/README.md',
    'configs/s1/health_secrets.py.example',
    'configs/auto/debug-configs/health-api/.vscode/launch.json.example',
  ];
  expect(ignored([...real, ...committed])).toEqual(real);
});

it('no committed file under configs/ or repos_docker_files/ is a symlink (it would pull content from outside the repo into clones)', () => {
  const result = spawnSync('git', ['ls-files', '--stage', '--', 'configs', 'repos_docker_files'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  expect(result.stdout.split('\n').filter((line) => line.startsWith('120000 '))).toEqual([]);
});
