/**
 * The runtime input of inject-config (src/runtime-state/inject-state.ts) decides when Nx may skip
 * inject-config. Against real clones injected by the
 * real code: the line must stay the same while the injection is intact and change whenever it is
 * not.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ensureClone } from '../src/tasks/ensure-clone';
import { injectConfigs } from '../src/inject/inject-configs';
import {
  cloneInjectionState as injectionState,
  INJECT_KEY,
  observeInjection,
  settleInjection,
  workspaceInjectionState,
} from '../src/runtime-state/inject-state';
import { printedToken } from '../src/runtime-state/settled';
import { makeCatalog, NAMESPACE_FILES } from './fixtures/git/catalog';
import { GitSandbox } from './fixtures/git/repos';
import { plainWorkspace, type PlainWorkspace } from './fixtures/git/workspace';

describe('runtime input of inject-config (state.js inject)', () => {
  let sandbox: GitSandbox;
  let ws: PlainWorkspace;
  const clone = () => path.join(ws.root, 'cloned', 'health-api');
  const debugFolders = () => ['s1', 's2'].map((namespace) => path.join(ws.root, 'configs', namespace, 'debug-configs', 'health-api'));
  const state = () => injectionState(ws.root, clone(), debugFolders()).join('\n');

  const inject = async (namespace: string) => {
    const run = ws.context('health-api', { namespace });
    await injectConfigs({ paths: run.paths, model: run.model, repo: run.repo, namespace: run.namespace, log: ws.log });
  };

  beforeEach(async () => {
    sandbox = new GitSandbox();
    const catalog = makeCatalog(sandbox);
    ws = plainWorkspace(catalog.config(), NAMESPACE_FILES);
    const run = ws.context('health-api');
    await ensureClone({ paths: run.paths, repo: run.repo, refresh: false, log: ws.log });
  });
  afterEach(() => {
    ws.remove();
    sandbox.cleanup();
  });

  it('says nothing is injected yet, with a stamp unique to the process (so Nx never skips it)', () => {
    expect(state()).toMatch(new RegExp(`^nothing injected in .+ \\(\\d+-${process.pid}\\)$`));
  });

  it('stays the same while the injection is intact, without printing any secret', async () => {
    await inject('s1');
    const first = state();
    expect(first).toContain('namespace s1');
    expect(first).not.toContain('s1-secret');
    await inject('s1');
    expect(state()).toBe(first);
  });

  it('changes when an injected file is edited or deleted, or the namespace changes', async () => {
    await inject('s1');
    const intact = state();
    appendFileSync(path.join(clone(), 'app/app/secrets.py'), '# my edit\n');
    expect(state()).not.toBe(intact);
    await inject('s1');
    expect(state()).toBe(intact);
    rmSync(path.join(clone(), 'serviceAccountKey.json'));
    expect(state()).toContain('serviceAccountKey.json recorded');
    expect(state()).toContain('on-disk missing');
    await inject('s2');
    expect(state()).toContain('namespace s2');
  });

  it('changes when an injected file’s mode or its source’s mode changes, so inject-config puts the source’s mode back', async () => {
    await inject('s1');
    const intact = state();
    const injected = path.join(clone(), 'app/app/secrets.py');
    const mode = statSync(injected).mode & 0o777;
    chmodSync(injected, 0o644 === mode ? 0o600 : 0o644);
    expect(state()).not.toBe(intact);
    chmodSync(injected, mode);
    expect(state()).toBe(intact);
    const before = workspaceInjectionState(ws.root, ['health-api']);
    const secretLine = before.find((line) => line.startsWith('secret configs/s1/'));
    const source = path.join(ws.root, (secretLine ?? '').split(' ')[1]);
    chmodSync(source, 0o600);
    chmodSync(source, 0o640);
    expect(workspaceInjectionState(ws.root, ['health-api'])).not.toEqual(before);
  });

  it('changes when a real (gitignored) debug config changes, which file inputs cannot see', async () => {
    await inject('s1');
    const before = state();
    writeFileSync(path.join(ws.root, 'configs/s1/debug-configs/health-api/.vscode/launch.json'), '{ "mine": true }\n');
    expect(state()).not.toBe(before);
  });

  it('reports every clone of the workspace in one run, finding each namespace’s debug configs', async () => {
    await inject('s1');
    ws.write({ 'configs/s2/debug-configs/health-api/launch.json': '{}\n' });
    const lines = workspaceInjectionState(ws.root, ['health-api', 'oms']);
    expect(lines).toContain('[cloned/health-api]');
    expect(lines).toContain('namespace s1');
    expect(lines.some((line) => line.startsWith(`debug ${path.join(ws.root, 'configs/s2/debug-configs/health-api/launch.json')} `))).toBe(true);
    expect(lines.some((line) => line.startsWith('nothing injected in ') && line.includes('cloned/oms'))).toBe(true);
  });

  it('changes when a real (gitignored) secret file in a namespace folder changes, printing its hash only', async () => {
    await inject('s1');
    const before = workspaceInjectionState(ws.root, ['health-api']);
    const secretLine = before.find((line) => line.startsWith('secret configs/s1/'));
    expect(secretLine).toMatch(/^secret configs\/s1\/\S+ [0-9a-f]{64} mode \d{4}$/);
    expect(before.join('\n')).not.toContain('s1-secret');
    const file = path.join(ws.root, (secretLine ?? '').split(' ')[1]);
    appendFileSync(file, '# rotated\n');
    expect(workspaceInjectionState(ws.root, ['health-api'])).not.toEqual(before);
  });

  it('changes when the clone’s HEAD moves (a commit or switch can stop tracking a file injected over a tracked one)', async () => {
    await inject('s1');
    const before = state();
    execFileSync('git', ['-C', clone(), '-c', 'user.email=t@t.invalid', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'mine']);
    expect(state()).not.toBe(before);
  });

  it('reports a secret it cannot read (a link into an unmounted store) instead of failing', async () => {
    await inject('s1');
    mkdirSync(path.join(ws.root, 'configs', 's2'), { recursive: true });
    symlinkSync('/nonexistent/password-store/gcp.json', path.join(ws.root, 'configs', 's2', 'gcp.json'));
    expect(workspaceInjectionState(ws.root, ['health-api'])).toContain('secret configs/s2/gcp.json unreadable ENOENT');
  });

  it('a torn manifest fails the look with the reason (the hasher then gives a token that never repeats)', async () => {
    await inject('s1');
    writeFileSync(path.join(clone(), '.git', 'local-dev', 'injected.json'), '{ torn');
    expect(() => hashedToken()).toThrow(SyntaxError);
  });

  it('after an injection, gives the token it gave before it (a cache hit), in the shipped layout where configs/README.md sits beside the namespaces', async () => {
    // A file under configs/ is no namespace: reading configs/README.md/debug-configs failed with
    // ENOTDIR and printed a line that never repeats, so inject-config was never cached.
    writeFileSync(path.join(ws.root, 'configs', 'README.md'), '# namespaces\n');
    const before = hashedToken();
    await inject('s1');
    settleInjection(ws.root, ['health-api']);
    expect(hashedToken()).toBe(before);
    expect(hashedToken()).toBe(before);
    // Edited on disk: a token no run succeeded under.
    appendFileSync(path.join(clone(), 'app/app/secrets.py'), '# mine\n');
    expect(hashedToken()).not.toBe(before);
  });

  /** What inject-config's hasher adds to its hash (src/runtime-state/hashers.ts). */
  const hashedToken = () => printedToken(ws.root, INJECT_KEY, observeInjection(ws.root, ['health-api']));
});
