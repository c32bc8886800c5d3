/**
 * inject-config's hashed state on real folders with real symlinks. The hasher runs in every nx
 * command of a run, so a look that never ends hangs every run: it runs here in a node process of
 * its own (the compiled module, as Nx loads it), killed after a timeout, so a regression fails the
 * test instead of hanging it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RepoModel, ServiceModel } from '../config/model';
import { UsageError } from '../core/errors';
import { workspacePaths } from '../core/workspace';
import { readInventory } from '../inject/inventory';
import { writeManifest } from '../inject/manifest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const INJECT_STATE_MODULE = (require('../../runtime/compiled.js') as { compiledPath(relative: string): string }).compiledPath('src/runtime-state/inject-state');

let root: string;

function write(relative: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), content);
}

function link(target: string, relative: string): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  symlinkSync(target, path.join(root, relative));
}

/** workspaceInjectionState(root, ['app']) in a process of its own, killed after 15 s. */
function lookInAProcess(): { status: number | null; signal: NodeJS.Signals | null; lines: string[]; ms: number } {
  const started = Date.now();
  const script = `process.stdout.write(JSON.stringify(require(${JSON.stringify(INJECT_STATE_MODULE)}).workspaceInjectionState(${JSON.stringify(root)}, ['app'])))`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL' });
  return { status: run.status, signal: run.signal, lines: run.status === 0 ? (JSON.parse(run.stdout) as string[]) : [run.stderr], ms: Date.now() - started };
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-inject-state-'));
  write('configs/s1/app.env', 'TOKEN=s1\n');
  write('configs/s1/shared/common.env', 'A=1\n');
  write('configs/s1/debug-configs/app/launch.json', '{}\n');
  write('cloned/app/README.md', 'app\n');
  // Something injected (nothing listed), so the clone's debug configs are looked at too.
  writeManifest(path.join(root, 'cloned/app/.git'), { version: 1, namespace: 's1', injectedAt: '2026-12-06T00:00:00.000Z', files: [] });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('symlink loops under configs/<namespace>/', () => {
  beforeEach(() => {
    // a → b → a: links round a loop; folder links back to their parent (two, so a walk that
    // follows them goes round 2^40 times before the kernel's limit on links stops one path).
    link('b', 'configs/s1/a');
    link('a', 'configs/s1/b');
    link('..', 'configs/s1/shared/up');
    link('..', 'configs/s1/shared/up-again');
    link('.', 'configs/s1/debug-configs/app/here');
    link('loop-2', 'configs/s1/debug-configs/app/loop-1');
    link('loop-1', 'configs/s1/debug-configs/app/loop-2');
  });

  it('end the look at once: every real file once, each looping link named as such', () => {
    const look = lookInAProcess();
    expect({ status: look.status, signal: look.signal }).toEqual({ status: 0, signal: null });
    const debug = path.join(root, 'configs/s1/debug-configs/app');
    expect(
      look.lines
        .filter((line) => /^(secret|debug) /.test(line))
        .map((line) => line.replace(/ [0-9a-f]{64} mode \d{4}$/, ' <sha256 and mode>').replace(/ [0-9a-f]{64}$/, ' <sha256>')),
    ).toEqual([
      'secret configs/s1/a unreadable ELOOP',
      'secret configs/s1/app.env <sha256 and mode>',
      'secret configs/s1/b unreadable ELOOP',
      'secret configs/s1/shared/common.env <sha256 and mode>',
      `debug ${debug}/launch.json <sha256>`,
      `debug ${debug}/loop-1 unreadable ELOOP`,
      `debug ${debug}/loop-2 unreadable ELOOP`,
    ]);
  });

  it('the same walk as inject-config: it reports the loop there, so the hasher never settles on it', () => {
    const service = { name: 'app', dir: 'app', dockerfile: 'app.dev.Dockerfile' } as ServiceModel;
    const repo = { dir: 'app', configs: [{ source: 'app.env', dest: '.env', required: true }] } as unknown as RepoModel;
    const read = () => readInventory(workspacePaths(root), 's1', repo, [service]);
    expect(read).toThrow(UsageError);
    expect(read).toThrow(`${path.join(root, 'configs/s1/debug-configs/app/loop-1')} is a symlink to loop-2, which loops back on itself`);
  });
});

it('a secret linked to nothing is looked at, not followed or dropped: its state says so', () => {
  link('/nonexistent/password-store/gcp.json', 'configs/s1/gcp.json');
  const look = lookInAProcess();
  expect(look.lines).toContain('secret configs/s1/gcp.json unreadable ENOENT');
});
