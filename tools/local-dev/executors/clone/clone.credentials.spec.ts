/**
 * A repo URL with credentials (issue 9 item 5), end to end in-process with nothing mocked: the
 * clone executor in a real temp workspace runs a real `git clone` that fails (nothing listens on
 * port 1), and the secret appears neither in what the user reads nor in any file local-dev or
 * Nx's workspace data holds — only in config.yaml, where the user put it.
 */
import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import cloneExecutor from './clone.impl';

let root: string;
let output: string;
const previousDataDirectory = process.env.NX_WORKSPACE_DATA_DIRECTORY;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-credentials-'));
  mkdirSync(path.join(root, 'configs/s1'), { recursive: true });
  writeFileSync(path.join(root, 'configs/s1/README.md'), '# s1\n');
  delete process.env.NX_WORKSPACE_DATA_DIRECTORY; // the workspace's own .nx/workspace-data
  output = '';
  // Captured (and still not printed): what the user would read on the terminal.
  const capture = (chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
  if (previousDataDirectory === undefined) delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
  else process.env.NX_WORKSPACE_DATA_DIRECTORY = previousDataDirectory;
});

/** Workspace files (outside config.yaml) whose content holds `secret`. */
function filesHolding(secret: string): string[] {
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter(
      (file) =>
        file !== 'repos_docker_files/config.yaml' && statSync(path.join(root, file)).isFile() && readFileSync(path.join(root, file), 'latin1').includes(secret),
    );
}

it.each([
  ['https://user:s3cret-pass@127.0.0.1:1/x.git', 'https://user:***@127.0.0.1:1/x.git'],
  ['https://ghp_s3cretToken@127.0.0.1:1/x.git', 'https://***@127.0.0.1:1/x.git'],
])('a failing clone of %s never shows or stores the secret', async (url, shown) => {
  await runCloneTwice(url);
  expect(output).toContain(`api: cloning ${shown} (branch main) into cloned/x …`);
  expect(output).toMatch(/✖ api:clone: cloned\/x: (cannot reach 127\.0\.0\.1|cannot read .*: no access)/);
  expect(output).not.toContain('s3cret');
  expect(filesHolding('s3cret')).toEqual([]);
});

it('refuses a password in an ssh URL before running git (ssh cannot use it), without showing it', async () => {
  await runCloneTwice('ssh://user:s3cret-pass@127.0.0.1:1/x.git');
  expect(output).toContain(
    '✖ api:clone: cloned/x: the repo URL in config.yaml (ssh://user:***@127.0.0.1:1/x.git) has a password, which git cannot use over ssh (ssh logs in with your key)\n' +
      '  fix: set repo: in repos_docker_files/config.yaml to ssh://user@127.0.0.1:1/x.git (no password), or to an https:// URL with a token\n',
  );
  expect(output).not.toContain('cloning');
  expect(output).not.toContain('s3cret');
  expect(filesHolding('s3cret')).toEqual([]);
});

async function runCloneTwice(url: string): Promise<void> {
  mkdirSync(path.join(root, 'repos_docker_files'));
  writeFileSync(path.join(root, 'repos_docker_files/config.yaml'), `services:\n  api:\n    repo: ${url}\n    branch: main\n`);
  const context = { root, projectName: 'api', targetName: 'clone' } as ExecutorContext;
  // Twice: the second run is the one a model cache would answer.
  for (let run = 0; run < 2; run++) await expect(cloneExecutor({ service: 'api' }, context)).resolves.toEqual({ success: false });
}
