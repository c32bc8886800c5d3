/**
 * The Makefile only translates words into nx commands: checked with `make -n` (prints the
 * commands, runs none) in a folder holding the real Makefile and configs/<ns>/ folders, so every
 * habit of the old tool maps to the right command without starting anything. What the commands
 * then do is tested through make in day-to-day.e2e.spec.ts.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './support/temp-workspace';

describe('Makefile words → nx commands', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'local-dev-makefile-'));
    copyFileSync(path.join(REPO_ROOT, 'Makefile'), path.join(folder, 'Makefile'));
    for (const namespace of ['s1', 's2', 'qa']) mkdirSync(path.join(folder, 'configs', namespace), { recursive: true });
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  const make = (...words: string[]) => {
    const result = spawnSync('make', ['--no-print-directory', '-n', ...words], { cwd: folder, encoding: 'utf8' });
    const commands = result.stdout.split('\n').filter((line) => line.trim() !== '' && line.trim() !== ':').map((line) => line.replace(/\s+/g, ' ').trim());
    return { code: result.status, commands, stderr: result.stderr };
  };

  it.each([
    [['run'], 'npx nx run-many -t up'],
    [['run', 's2'], 'npx nx run-many -t up --namespace=s2'],
    [['run', 'refresh', 'live', 'qa', 'health-api', 'oms-api'], 'npx nx run-many -t up --projects=health-api,oms-api --namespace=qa --refresh --outputStyle=stream'],
    [['status'], 'npx nx run stack:status'],
    [['status', 's2', 'health-api'], 'npx nx run stack:status --services=health-api --namespace=s2'],
    [['stats'], 'npx nx run stack:stats'],
    [['stats', 'watch', 'oms-api'], 'npx nx run stack:stats --services=oms-api --watch'],
    [['logs'], 'npx nx run stack:logs --follow'],
    [['logs', 'health-api', 'oms-worker'], 'npx nx run stack:logs --services=health-api,oms-worker --follow'],
    [['stop'], 'npx nx run stack:stop'],
    [['stop', 'health-api'], 'npx nx run-many -t down --projects=health-api'],
    [['restart'], 'npx nx run stack:restart'],
    [['restart', 's2', 'health-api'], 'npx nx run stack:restart --services=health-api --namespace=s2'],
    [['clean'], 'npx nx run stack:clean'],
    [['clean', 'force'], 'npx nx run stack:clean --force'],
    [['doctor', 's2', 'bifrost'], 'npx nx run stack:doctor --services=bifrost --namespace=s2'],
  ])('make %j runs `%s`', (words, command) => {
    expect(make(...words)).toEqual({ code: 0, commands: [command], stderr: '' });
  });

  it.each([
    [['dashboard'], ['npx nx run stack:dashboard']],
    [['dashboard', 's2'], ['npx nx run stack:dashboard --namespace=s2']],
    // The old `make run --dashboard`: the dashboard first (to watch the build), then the stack.
    [['run', 'dashboard'], ['npx nx run stack:dashboard', 'npx nx run-many -t up']],
    [['demo'], ['npm run demo --']],
    [['demo', 'down'], ['npm run demo -- --down']],
    [['demo', 'refresh', 's2'], ['npm run demo -- --refresh --namespace=s2']],
  ])('make %j runs %j', (words, commands) => {
    expect(make(...words)).toEqual({ code: 0, commands, stderr: '' });
  });
});
