import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import type { WorkspaceModel } from '../config/model';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { ensureClone } from '../tasks/ensure-clone';
import { injectConfigs } from '../inject/inject-configs';
import { cleanStack, generatedFiles } from './clean';

jest.setTimeout(60_000);

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });

describe('clean', () => {
  it('removes the compose file, build records and run logs — never backups or locks', () => {
    const paths = workspacePaths('/ws');
    expect(generatedFiles(paths, ['a']).map((file) => path.relative('/ws', file))).toEqual([
      'docker-compose.yml',
      'logs/images/a.json',
      'logs/build_output.log',
      'logs/run_metrics.json',
      'logs/progress.json',
      'logs/redis-tunnel.log',
    ]);
  });

  /**
   * A workspace whose two clones local-dev made (real git: local bare remotes; the real clone and
   * inject-config code puts configs/s1/secret.py into cloned/api), cleaned through the real Docker
   * engine (this workspace has no container or image, and its network does not exist).
   */
  describe('what it deletes in cloned/, and what it keeps (real git, real Docker engine)', () => {
    let root: string;
    let paths: WorkspacePaths;
    let model: WorkspaceModel;
    let lines: string[];
    const clean = (force = false) => cleanStack({ paths, model, force, now: new Date('2026-03-04T05:06:07Z'), log: (line) => lines.push(line) });
    const refusal = async (force = false) => {
      const failure = await clean(force).then(
        () => undefined,
        (error: Error) => error,
      );
      if (!failure) throw new Error('clean did not refuse');
      return failure.message;
    };
    const inCloned = (...parts: string[]) => path.join(paths.cloned, ...parts);

    beforeEach(async () => {
      root = mkdtempSync(path.join(tmpdir(), 'local-dev-clean-'));
      paths = workspacePaths(root);
      lines = [];
      for (const name of ['api', 'web']) {
        const seed = path.join(root, 'seeds', name);
        mkdirSync(seed, { recursive: true });
        git(seed, 'init', '-q', '-b', 'main');
        writeFileSync(path.join(seed, 'main.txt'), `${name}\n`);
        writeFileSync(path.join(seed, '.gitignore'), '.env.*\n*.sqlite3\n');
        git(seed, 'add', '-A');
        git(seed, 'commit', '-q', '-m', 'one');
        git(root, 'clone', '-q', '--bare', seed, path.join(root, 'remotes', `${name}.git`));
      }
      const write = (file: string, text: string) => {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      };
      write(
        'repos_docker_files/config.yaml',
        [
          `network: ld-clean-spec-${process.pid}`,
          'services:',
          '  api:',
          `    repo: file://${root}/remotes/api.git`,
          '    configs: [{ source: secret.py, dest: app/secret.py }]',
          '  web:',
          `    repo: file://${root}/remotes/web.git`,
          '',
        ].join('\n'),
      );
      write('repos_docker_files/api.dev.Dockerfile', 'FROM busybox:1.36\n');
      write('repos_docker_files/web.dev.Dockerfile', 'FROM busybox:1.36\n');
      write('configs/s1/secret.py', 'TOKEN = "s1-secret"\n');
      model = loadConfig(root);
      for (const repo of model.repos) await ensureClone({ paths, repo, refresh: false, log: () => undefined });
      await injectConfigs({ paths, model, repo: model.repos[0], namespace: 's1', log: () => undefined });
      expect(readFileSync(inCloned('api', 'app', 'secret.py'), 'utf8')).toBe('TOKEN = "s1-secret"\n');
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('deletes the clones it made, with the secret files it injected', async () => {
      expect(await clean()).toEqual({ images: 0, removedClones: ['api', 'web'], backedUp: {} });
      expect(existsSync(paths.cloned)).toBe(false);
      expect(lines).toContain('removed cloned/api, cloned/web');
    });

    it("a user's gitignored files in a clone (.env.mine, a local database) stop clean without --force, changing nothing", async () => {
      writeFileSync(inCloned('api', '.env.mine'), 'MY_TOKEN=1\n');
      writeFileSync(inCloned('web', 'local.sqlite3'), 'rows');
      expect(await refusal()).toBe(
        'clean would lose work that exists only here — nothing was changed:\n' +
          '  cloned/api: 1 ignored file local-dev did not make (.env.mine)\n' +
          '  cloned/web: 1 ignored file local-dev did not make (local.sqlite3)',
      );
      expect(readFileSync(inCloned('api', '.env.mine'), 'utf8')).toBe('MY_TOKEN=1\n');
      expect(readFileSync(inCloned('web', 'local.sqlite3'), 'utf8')).toBe('rows');
      expect(existsSync(inCloned('api', 'app', 'secret.py'))).toBe(true);
    });

    it('a clean git folder under cloned/ that local-dev never cloned, and a hidden folder of the user, stop clean without --force', async () => {
      git(root, 'clone', '-q', path.join(root, 'remotes', 'web.git'), inCloned('experiment'));
      mkdirSync(inCloned('.mine'));
      writeFileSync(inCloned('.mine', 'notes.txt'), 'mine');
      expect(await refusal()).toBe(
        'clean would lose work that exists only here — nothing was changed:\n' +
          '  cloned/.mine: not a git clone: it is not a git repository (no .git of its own)\n' +
          '  cloned/experiment: not made by local-dev: no repo of config.yaml clones into cloned/experiment',
      );
      expect(git(inCloned('experiment'), 'status', '--short')).toBe('');
      expect(readdirSync(paths.cloned).sort()).toEqual(['.mine', 'api', 'experiment', 'web']);
    });

    it('with cloned/ a symlink, clean stops even with --force, and empties nothing behind it', async () => {
      const elsewhere = path.join(root, 'big-disk', 'clones');
      mkdirSync(path.dirname(elsewhere));
      renameSync(paths.cloned, elsewhere);
      symlinkSync(elsewhere, paths.cloned);
      const message = await refusal(true);
      expect(message).toBe(
        `cloned/ is a symlink to ${elsewhere}: clean removes only what local-dev made, and does not delete in a folder it did not make — nothing was changed`,
      );
      expect(readdirSync(elsewhere).sort()).toEqual(['api', 'web']);
      expect(readFileSync(path.join(elsewhere, 'web', 'main.txt'), 'utf8')).toBe('web\n');
    });

    it('with --force, what is not its own is moved to logs/backups/<time>/, saying where and that the backups hold secret files; its own clone is deleted', async () => {
      writeFileSync(inCloned('api', '.env.mine'), 'MY_TOKEN=1\n');
      git(root, 'clone', '-q', path.join(root, 'remotes', 'web.git'), inCloned('experiment'));
      const report = await clean(true);
      expect(report).toEqual({
        images: 0,
        removedClones: ['web'],
        backedUp: { api: 'logs/backups/20260304T050607Z/api', experiment: 'logs/backups/20260304T050607Z/experiment' },
      });
      expect(lines).toEqual(
        expect.arrayContaining([
          'cloned/api: 1 ignored file local-dev did not make (.env.mine) — moved to logs/backups/20260304T050607Z/api instead of deleting it',
          '  to put it back: mv logs/backups/20260304T050607Z/api cloned/api',
          'backups are kept in logs/backups/20260304T050607Z/, with the secret files local-dev injected into those clones (and any of your own): keep the folder to yourself, and delete it (rm -r logs/backups/20260304T050607Z) once you no longer need it',
        ]),
      );
      const backups = path.join(paths.logs, 'backups', '20260304T050607Z');
      expect(readFileSync(path.join(backups, 'api', '.env.mine'), 'utf8')).toBe('MY_TOKEN=1\n');
      expect(readFileSync(path.join(backups, 'api', 'app', 'secret.py'), 'utf8')).toBe('TOKEN = "s1-secret"\n');
      expect(readFileSync(path.join(backups, 'experiment', 'main.txt'), 'utf8')).toBe('web\n');
      expect(existsSync(paths.cloned)).toBe(false);
    });

    it('with --force and logs/backups/ impossible to make, the clones to move stay untouched, the rest is done, and clean fails naming them', async () => {
      writeFileSync(inCloned('api', '.env.mine'), 'MY_TOKEN=1\n');
      // A file where the folder must go: as root (these tests' user), no permission bit refuses a write.
      mkdirSync(paths.logs);
      writeFileSync(path.join(paths.logs, 'backups'), 'not a folder');
      const message = await refusal(true);
      expect(message).toMatch(
        /^clean stopped the stack and removed its images, but could not finish — nothing listed here was deleted:\n {2}could not write logs\/backups\/ \(.*\), so these stay where they are, untouched:\n {4}cloned\/api: 1 ignored file local-dev did not make \(\.env\.mine\)$/,
      );
      expect(readFileSync(inCloned('api', '.env.mine'), 'utf8')).toBe('MY_TOKEN=1\n');
      expect(git(inCloned('api'), 'stash', 'list')).toBe('');
      expect(readdirSync(paths.cloned)).toEqual(['api']);
    });
  });
});
