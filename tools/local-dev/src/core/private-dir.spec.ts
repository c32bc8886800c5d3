import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isWiderThanPrivate, makePrivateDir, tightenWorkspacePrivateDirs } from './private-dir';

const modeOf = (dir: string) => statSync(dir).mode & 0o777;

describe("private folders (what is derived from secrets is the user's alone)", () => {
  let root: string;
  const umask = process.umask();
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-private-'));
    // The usual umask: folders made without a mode come out 0755, readable by every user.
    process.umask(0o022);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('makes every folder it creates 0700, however deep, whatever the umask', () => {
    makePrivateDir(path.join(root, 'logs', 'images', 'x'), path.join(root, 'logs'));
    for (const dir of ['logs', 'logs/images', 'logs/images/x']) expect([dir, modeOf(path.join(root, dir)).toString(8)]).toEqual([dir, '700']);
  });

  it('tightens a private root that exists wider (made by mkdir -p, an older local-dev)', () => {
    mkdirSync(path.join(root, 'logs'));
    expect(modeOf(path.join(root, 'logs'))).toBe(0o755);
    makePrivateDir(path.join(root, 'logs', 'images'), path.join(root, 'logs'));
    expect(modeOf(path.join(root, 'logs'))).toBe(0o700);
  });

  it("tightens the workspace's logs/ and .nx/local-dev/, leaves .nx/ (Nx's) alone, and does not create them", () => {
    mkdirSync(path.join(root, 'logs'), { mode: 0o775 });
    chmodSync(path.join(root, 'logs'), 0o775);
    mkdirSync(path.join(root, '.nx', 'local-dev'), { recursive: true });
    expect(tightenWorkspacePrivateDirs(root)).toEqual([]);
    expect(modeOf(path.join(root, 'logs'))).toBe(0o700);
    expect(modeOf(path.join(root, '.nx', 'local-dev'))).toBe(0o700);
    expect(modeOf(path.join(root, '.nx'))).toBe(0o755);
    rmSync(path.join(root, 'logs'), { recursive: true });
    expect(tightenWorkspacePrivateDirs(root)).toEqual([]);
    expect(() => statSync(path.join(root, 'logs'))).toThrow();
  });

  it('says which root it could not tighten, and why, instead of failing the command', () => {
    // A file where the folder should be: chmod works on it, but the lookup is not a folder's; a root
    // that cannot be changed at all (EROFS) is shown by the read-only e2e. Here: a folder under a
    // path that is a file makes stat fail with ENOTDIR.
    writeFileSync(path.join(root, '.nx'), 'not a folder');
    const refused = tightenWorkspacePrivateDirs(root);
    expect(refused).toEqual([expect.stringMatching(/^\.nx\/local-dev\/ stays readable by others: ENOTDIR/)]);
  });

  it('calls a folder private only when group and others have no bit at all', () => {
    expect(isWiderThanPrivate(0o700)).toBe(false);
    expect(isWiderThanPrivate(0o710)).toBe(true);
    expect(isWiderThanPrivate(0o701)).toBe(true);
    expect(isWiderThanPrivate(0o40700)).toBe(false);
  });
});
