/**
 * The Makefile only translates words into nx commands. Checked with `make -n` (it prints the
 * commands, runs none) in a throw-away workspace holding the real Makefile, the real plugin
 * (tools/ linked), a config.yaml and configs/<ns>/ folders, so every habit of the old tool maps to
 * the right command without starting anything; and through a real `make` + nx run, where a word
 * must never reach a shell. What the commands then do is tested through make in
 * day-to-day.e2e.spec.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createTempWorkspace, initWorkspace, REPO_ROOT, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(120_000);

const CONFIG = `
services:
  health-api:
    repo: file:///nowhere/health-api.git
  oms-api:
    repo: file:///nowhere/oms.git
    workers:
      oms-worker: {}
  bifrost:
    repo: file:///nowhere/bifrost.git
`;

describe('Makefile words → nx commands', () => {
  let workspace: TempWorkspace;
  beforeAll(async () => {
    workspace = createTempWorkspace({
      name: 'makefile',
      config: CONFIG,
      namespaces: ['s1', 's2', 'qa'],
      // `make demo` takes the demo's namespaces, not the workspace's.
      files: {
        Makefile: readFileSync(path.join(REPO_ROOT, 'Makefile'), 'utf8'),
        'examples/demo/configs/s1/README.md': '',
        'examples/demo/configs/s2/README.md': '',
      },
    });
    // A user's checkout: the project folders the plugin writes, everything committed.
    await initWorkspace(workspace);
  });
  afterAll(() => workspace?.remove());

  /** `make -n <words>`: the commands it would run; make's own echo of its fixed recipe lines left out. */
  const make = async (...words: string[]) => {
    const result = await workspace.run('make', ['--no-print-directory', '-n', ...words], { env: { MAKEFLAGS: undefined } });
    const commands = result.stdout
      .split('\n')
      .map((line) => line.replace(/\s+/g, ' ').trim())
      .filter((line) => line !== '' && line !== ':' && !line.startsWith('node "$LOCAL_DEV_MAKE_ROOT/'));
    return { code: result.code, commands, stderr: result.stderr };
  };

  it.each([
    [[], 'npx nx run-many -t up'],
    [['run'], 'npx nx run-many -t up'],
    [['run', 's2'], 'npx nx run-many -t up --namespace=s2'],
    [
      ['run', 'refresh', 'live', 'qa', 'health-api', 'oms-api'],
      'npx nx run-many -t up --projects=health-api,oms-api --namespace=qa --refresh --outputStyle=stream',
    ],
    [['dev'], 'npx nx run-many -t dev --outputStyle=stream'],
    [['dev', 's2', 'health-api', 'oms-worker'], 'npx nx run-many -t dev --projects=health-api,oms-worker --namespace=s2 --outputStyle=stream'],
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
  ])('make %j runs `%s`', async (words, command) => {
    expect(await make(...words)).toEqual({ code: 0, commands: [command], stderr: '' });
  });

  it.each([
    [['dashboard'], ['npx nx run stack:dashboard']],
    [['dashboard', 's2'], ['npx nx run stack:dashboard --namespace=s2']],
    // The old `make run --dashboard`: the dashboard first (to watch the build), then the stack.
    [
      ['run', 'dashboard'],
      ['npx nx run stack:dashboard', 'npx nx run-many -t up'],
    ],
    [['demo'], ['npm run demo --']],
    [['demo', 'down'], ['npm run demo -- --down']],
    [['demo', 'refresh', 's2'], ['npm run demo -- --refresh --namespace=s2']],
  ])('make %j runs %j', async (words, commands) => {
    expect(await make(...words)).toEqual({ code: 0, commands, stderr: '' });
  });

  it('an unknown command fails, running nothing, with the closest command and the list of all of them', async () => {
    const typo = await make('stauts');
    expect(typo.code).not.toBe(0);
    expect(typo.commands).toEqual([]);
    expect(typo.stderr).toContain(
      '✖ make stauts: unknown command "stauts"; nothing was run\n  fix: did you mean `make stats`? the command comes first, then its words:\n  make run [refresh] [live] [dashboard] [<namespace>] [<service> …]',
    );
    for (const command of [
      'dev [<namespace>] [<service> …]',
      'status',
      'stats',
      'logs',
      'stop',
      'restart',
      'doctor',
      'clean [force]',
      'dashboard [<namespace>]',
      'demo [down] [refresh] [<namespace>]',
    ])
      expect(typo.stderr).toContain(`\n  make ${command}`);
    // The command comes first: a namespace first is no command either.
    expect((await make('s2', 'run')).stderr).toContain('unknown command "s2"');
  });

  it.each([
    // Words a shell would have evaluated: a command substitution, a glob (nx reads `--projects=*` as every project).
    [['logs', 'a$(id)'], 'no service "a$(id)" in repos_docker_files/config.yaml\n  fix: services: health-api, oms-api, oms-worker, bifrost'],
    [['stop', '*'], 'no service "*" in repos_docker_files/config.yaml'],
    [['logs', 'health-api;id'], 'no service "health-api;id"'],
    [['status', 'helth-api'], 'no service "helth-api" in repos_docker_files/config.yaml\n  fix: "helth-api": did you mean "health-api"?'],
    [['status', 'refresh'], '"refresh" means nothing to status; nothing was run\n  fix: make status [<namespace>] [<service> …] (namespaces: qa, s1, s2)'],
    [['run', 's1', 's2'], 'two namespaces, "s1" and "s2"; nothing was run'],
    [['logs', 's2'], '"s2" is a namespace, and logs does not take one'],
    [['dev', 'live'], '"live" means nothing to dev; nothing was run\n  fix: make dev [<namespace>] [<service> …] (namespaces: qa, s1, s2)'],
    [['clean', 'health-api'], '"health-api" is not a word it takes; nothing was run\n  fix: make clean [force]'],
    [['demo', 'qa'], '"qa" is not a namespace; nothing was run\n  fix: make demo [down] [refresh] [<namespace>] (namespaces: s1, s2)'],
  ])('make %j is refused before anything runs', async (words, message) => {
    const refused = await make(...words);
    expect(refused.code).not.toBe(0);
    expect(refused.commands).toEqual([]);
    expect(refused.stderr).toContain(message);
  });

  it('a real `make` hands no word to a shell, and runs the checked command through nx', async () => {
    // A shell would create the file shell-ran in the workspace (make runs its recipes there).
    const injected = await workspace.run('make', ['--no-print-directory', 'logs', 'a$(id>shell-ran)', '`id>shell-ran`']);
    expect(injected.code).not.toBe(0);
    expect(injected.stderr).toContain('no service "a$(id>shell-ran)", "`id>shell-ran`" in repos_docker_files/config.yaml');
    expect(existsSync(path.join(workspace.root, 'shell-ran'))).toBe(false);

    const status = await workspace.run('make', ['--no-print-directory', 'status'], {
      env: { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    expect({ code: status.code, stderr: status.code === 0 ? '' : status.output }).toEqual({ code: 0, stderr: '' });
    expect(status.stdout).toContain('npx nx run stack:status\n');
    expect(status.stdout).toContain('Nothing is cloned yet');
  });
});
