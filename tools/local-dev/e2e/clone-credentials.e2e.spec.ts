/**
 * A token in config.yaml's repo URL (issue 20 item 3), against a real git server over HTTP with
 * basic auth (`git http-backend` behind a Node server, fixtures/git/http-server.ts): clone, fetch
 * and refresh work, and the token is never in a file of the clone nor on any process's command
 * line while git talks to the server. In-process, like clone-inject.e2e.spec.ts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { GitError } from '../src/core/errors';
import { describeCloneStatus } from '../src/git/describe';
import { ensureClone } from '../src/tasks/ensure-clone';
import { makeCatalog, NAMESPACE_FILES, type Catalog } from './fixtures/git/catalog';
import { serveGitOverHttp, type HttpGitServer } from './fixtures/git/http-server';
import { GitSandbox, sh } from './fixtures/git/repos';
import { plainWorkspace, type PlainWorkspace } from './fixtures/git/workspace';

let sandbox: GitSandbox;
let catalog: Catalog;
let ws: PlainWorkspace;
let server: HttpGitServer | undefined;
let token: string;

beforeEach(() => {
  sandbox = new GitSandbox();
  catalog = makeCatalog(sandbox);
  ws = plainWorkspace(catalog.config(), NAMESPACE_FILES);
  token = `tok${randomBytes(12).toString('hex')}`;
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  sandbox.cleanup();
  ws.remove();
});

/** Serves the sandbox's remotes to `username`:`password` and points health-api's repo: at them. */
async function serve(username: string, password: string, userInfoInConfig: string): Promise<HttpGitServer> {
  server = await serveGitOverHttp(path.dirname(catalog.health.path), { username, password });
  ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthUrl: server.url('health-api', userInfoInConfig) }) });
  return server;
}

async function clone(options: { refresh?: boolean; env?: Record<string, string> } = {}): Promise<string[]> {
  ws.lines.length = 0;
  const run = ws.context('health-api', { refresh: options.refresh });
  const status = await ensureClone({ paths: run.paths, repo: run.repo, refresh: run.refresh, log: ws.log, freshFetchMs: 0, env: options.env });
  return [...ws.lines, ...describeCloneStatus(status)];
}

const healthDir = () => path.join(ws.root, 'cloned/health-api');

/** Files under `folder` whose bytes hold `secret`. */
function filesHolding(folder: string, secret: string): string[] {
  return readdirSync(folder, { recursive: true })
    .map(String)
    .filter((file) => statSync(path.join(folder, file)).isFile() && readFileSync(path.join(folder, file), 'latin1').includes(secret));
}

/** The token is nowhere but in config.yaml: no file of the workspace (the clone's .git included), no command line git ran with. */
function expectTokenOnlyInConfig(http: HttpGitServer): void {
  expect([...http.commandLines].filter((line) => line.includes(token))).toEqual([]);
  // The scan did see git at work: its command line names the server.
  expect([...http.commandLines].some((line) => line.includes(`127.0.0.1:${http.port}/health-api.git`))).toBe(true);
  expect(filesHolding(ws.root, token)).toEqual(['repos_docker_files/config.yaml']);
}

describe('a repo URL with a token, over HTTP with basic auth', () => {
  it('clones, fetches and refreshes with the token, which is in no file of the clone and on no command line', async () => {
    const http = await serve('x-access-token', token, `x-access-token:${token}`);
    const shown = `http://x-access-token:***@127.0.0.1:${http.port}/health-api.git`;
    const lines = await clone();
    expect(lines[0]).toBe(`cloning ${shown} (branch master) into cloned/health-api …`);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^cloned ${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at master \\([0-9a-f]{7}\\)$`)));
    expect(readFileSync(path.join(healthDir(), 'app/main.py'), 'utf8')).toBe('print("health")\n');
    expect(http.requests.some((request) => request.authorized)).toBe(true);
    expectTokenOnlyInConfig(http);
    expect(sh(healthDir(), 'config', 'remote.origin.url')).toBe(`http://127.0.0.1:${http.port}/health-api.git`);

    // A fetch (an informative one, then --refresh) authenticates the same way.
    const head = catalog.health.push('master', { 'app/main.py': 'print("health v2")\n' });
    http.commandLines.clear();
    expect(await clone()).toContain('behind origin/master by 1 commit — --refresh updates it (your local work is saved first)');
    expectTokenOnlyInConfig(http);
    http.commandLines.clear();
    expect(await clone({ refresh: true })).toContain(`refreshed to origin/master (${head.slice(0, 7)})`);
    expect(readFileSync(path.join(healthDir(), 'app/main.py'), 'utf8')).toBe('print("health v2")\n');
    expectTokenOnlyInConfig(http);
  });

  it("neither asks the user's own credential helper nor hands it the token to store", async () => {
    const http = await serve('x-access-token', token, `x-access-token:${token}`);
    // The user's global git config keeps every credential git confirms in a file, as
    // `git config --global credential.helper store` does (in ~/.git-credentials).
    const store = path.join(sandbox.root, 'git-credentials');
    const globalConfig = path.join(sandbox.root, 'gitconfig');
    writeFileSync(globalConfig, `[credential]\n\thelper = store --file=${store}\n`);
    const env = { GIT_CONFIG_GLOBAL: globalConfig };
    await clone({ env });
    catalog.health.push('master', { 'app/main.py': 'print("health v2")\n' });
    expect(await clone({ env })).toContain('behind origin/master by 1 commit — --refresh updates it (your local work is saved first)');
    expect(existsSync(store)).toBe(false);
    expectTokenOnlyInConfig(http);
  });

  it('takes a token given as the user name alone (http://TOKEN@host/…), with an empty password', async () => {
    const http = await serve(token, '', token);
    expect((await clone())[0]).toBe(`cloning http://***@127.0.0.1:${http.port}/health-api.git (branch master) into cloned/health-api …`);
    expect(sh(healthDir(), 'config', 'remote.origin.url')).toBe(`http://127.0.0.1:${http.port}/health-api.git`);
    expectTokenOnlyInConfig(http);
  });

  it('decodes percent-escapes in the password as git does', async () => {
    const http = await serve('me', `p@ss/${token}`, `me:p%40ss%2F${token}`);
    await clone();
    expect(sh(healthDir(), 'config', 'remote.origin.url')).toBe(`http://127.0.0.1:${http.port}/health-api.git`);
    expectTokenOnlyInConfig(http);
  });

  it("a branch the remote lacks: lists the remote's branches, asked with the token the same way", async () => {
    const http = await serve('x-access-token', token, `x-access-token:${token}`);
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthUrl: http.url('health-api', `x-access-token:${token}`), healthBranch: 'develp' }) });
    await expect(clone()).rejects.toThrow(
      `branch "develp" does not exist on http://x-access-token:***@127.0.0.1:${http.port}/health-api.git (closest branches on the remote: develop`,
    );
    expect([...http.commandLines].filter((line) => line.includes(token))).toEqual([]);
    expect(http.requests.filter((request) => request.authorized).length).toBeGreaterThanOrEqual(2);
  });

  it('a token the server refuses: says so, with the fix, and shows the token as ***', async () => {
    const http = await serve('x-access-token', 'the-right-one', `x-access-token:${token}`);
    const error = await clone().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitError);
    const text = (error as GitError).describe();
    expect(text).toContain(
      `cloned/health-api: cannot read http://x-access-token:***@127.0.0.1:${http.port}/health-api.git: no access, or no such repository, while cloning`,
    );
    expect(text).toContain('fix: 127.0.0.1 did not accept the credentials in the repo URL for this repo');
    expect(text).not.toContain(token);
    expect(existsSync(healthDir())).toBe(false);
    expect([...http.commandLines].filter((line) => line.includes(token))).toEqual([]);
  });

  it('removes the token from the remote URL of a clone made with it, saying so once; fetches still work', async () => {
    const http = await serve('x-access-token', token, `x-access-token:${token}`);
    // As `git clone` by hand (or local-dev before) made it: the token in .git/config. (Not a
    // synchronous call: the server answering it runs in this process.)
    await promisify(execFile)('git', ['clone', '-q', http.url('health-api', `x-access-token:${token}`), healthDir()], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    expect(readFileSync(path.join(healthDir(), '.git/config'), 'utf8')).toContain(token);
    http.commandLines.clear();
    catalog.health.push('master', { 'app/main.py': 'print("health v2")\n' });

    const lines = await clone();
    expect(lines).toContain(
      `removed the credentials from origin's URL in cloned/health-api/.git/config (now http://127.0.0.1:${http.port}/health-api.git): local-dev gives git the ones in config.yaml through its environment; for git by hand in the clone, use a credential helper`,
    );
    expect(lines).toContain('behind origin/master by 1 commit — --refresh updates it (your local work is saved first)');
    expectTokenOnlyInConfig(http);

    const again = await clone();
    expect(again.filter((line) => line.startsWith('removed the credentials'))).toEqual([]);
    expect(again).toContain('behind origin/master by 1 commit — --refresh updates it (your local work is saved first)');
    expect(again.filter((line) => line.startsWith('⚠'))).toEqual([]);
  });
});
