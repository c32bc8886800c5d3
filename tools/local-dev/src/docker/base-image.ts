/**
 * The base images a Dockerfile starts FROM, made to exist on this machine even where no image
 * registry answers.
 *
 * Dockerfiles are written as engineers write them (`FROM debian:bookworm-slim`). On a laptop the
 * engine pulls that image; on a machine that reaches Debian's package mirror but no registry (a
 * locked-down CI, an air-gapped office with a Debian mirror) the build would fail at its first
 * line. So, for each base image:
 *
 *   1. an image of that name is already here (pulled, loaded, or made by us earlier) → nothing: a
 *      user's image is never replaced, and a made one is made once per machine;
 *   2. else `docker pull`, with a short timeout (a registry that does not answer must not hold a
 *      run for minutes);
 *   3. else, for Debian's own images (`debian:<suite>` and `debian:<suite>-slim`), the same thing
 *      Debian's image is made of: `debootstrap --variant=minbase <suite>` from Debian's mirror,
 *      the image's apt sources and (slim) its dpkg excludes, then `docker import` of the tree,
 *      labelled io.local-dev.base-image so anyone can tell it from a pulled one.
 *
 * A machine that reaches the internet only through a TLS-inspecting proxy trusts that proxy's CA,
 * added as Debian says, under /usr/local/share/ca-certificates/. A made image gets those files
 * too: once a Dockerfile installs ca-certificates (as any that uses HTTPS does), its builds trust
 * what this machine trusts, so `npm ci` reaches the registry through the same proxy. A pulled image
 * is left as the registry gave it.
 *
 * debootstrap needs root: it runs through sudo when we are not root. Every command is an argument
 * list; no image name or path reaches a shell. The choices and command lines are pure; `ensure*`
 * and `makeDebianImage` are the thin layer that runs them.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import { imageExists } from './queries';

/** Put on every image made here; its value says how. */
export const BASE_IMAGE_LABEL = 'io.local-dev.base-image';
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const DEBIAN_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';
/** Suites debootstrap (Debian 12's) knows and Debian publishes images of, with their version tags. */
const DEBIAN_SUITES: Record<string, string> = { bullseye: '11', bookworm: '12', trixie: '13' };
/** Where Debian keeps the CA certificates a machine adds to its trust (update-ca-certificates reads *.crt there). */
export const LOCAL_CA_FOLDER = '/usr/local/share/ca-certificates';
const PULL_TIMEOUT_MS = 60_000;
const DEBOOTSTRAP_TIMEOUT_MS = 20 * 60_000;
const IMPORT_TIMEOUT_MS = 10 * 60_000;
/** What Debian's images set, so RUN lines find their programs whatever the engine's defaults. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface DebianBase {
  image: string;
  suite: string;
  /** `-slim`: no manual pages, info or translations, now or in packages installed later. */
  slim: boolean;
}

export type BaseImageOutcome = { image: string; how: 'present' | 'pulled' | 'made'; seconds: number };

/**
 * The images a Dockerfile starts FROM, in order, once each: not `scratch`, not an earlier stage
 * (`FROM build`), not a name built from an ARG (only the build knows it). Pure.
 */
export function baseImagesOf(dockerfile: string): string[] {
  const stages = new Set<string>();
  const bases: string[] = [];
  for (const line of dockerfile.split(/\r?\n/)) {
    const words = line.trim().split(/\s+/);
    if (words[0]?.toUpperCase() !== 'FROM') continue;
    const rest = words.slice(1).filter((word) => !word.startsWith('--'));
    const image = rest[0];
    if (rest[1]?.toUpperCase() === 'AS' && rest[2]) stages.add(rest[2].toLowerCase());
    if (!image || image === 'scratch' || image.includes('$') || stages.has(image.toLowerCase()) || bases.includes(image)) continue;
    bases.push(image);
  }
  return bases;
}

/** `debian:bookworm-slim`, `debian:12` (also `library/debian:…`, `docker.io/library/debian:…`) → what to debootstrap; else undefined. Pure. */
export function debianBaseFor(image: string): DebianBase | undefined {
  const match = /^(?:(?:docker\.io|index\.docker\.io)\/)?(?:library\/)?debian:([a-z]+|\d+)(-slim)?$/.exec(image);
  const suite = Object.entries(DEBIAN_SUITES).find(([name, version]) => match?.[1] === name || match?.[1] === version)?.[0];
  return suite ? { image, suite, slim: match?.[2] !== undefined } : undefined;
}

/**
 * The program and arguments that run `command` as root: itself when we are root, else through
 * `sudo -n`: never a password prompt hidden behind a piped exec (it would wait until the timeout);
 * sudo then fails at once, and the error says to run the setup script in a terminal. Pure.
 */
export function asRoot(uid: number | undefined, command: string, args: string[]): [string, string[]] {
  return uid === 0 ? [command, args] : ['sudo', ['-n', command, ...args]];
}

export function debootstrapArgs(base: DebianBase, rootfs: string, mirror = DEBIAN_MIRROR): string[] {
  return ['--variant=minbase', base.suite, rootfs, mirror];
}

/** Files written into the tree, as Debian's own images have them (path in the image → text). Pure. */
export function imageFiles(base: DebianBase): Record<string, string> {
  const keyring = 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg';
  const files: Record<string, string> = {
    'etc/apt/sources.list.d/debian.sources': [
      'Types: deb',
      `URIs: ${DEBIAN_MIRROR}`,
      `Suites: ${base.suite} ${base.suite}-updates`,
      'Components: main',
      keyring,
      '',
      'Types: deb',
      `URIs: ${DEBIAN_SECURITY_MIRROR}`,
      `Suites: ${base.suite}-security`,
      'Components: main',
      keyring,
      '',
    ].join('\n'),
    // Package lists without translations: half the download of every `apt-get update`.
    'etc/apt/apt.conf.d/docker-no-languages': 'Acquire::Languages "none";\n',
  };
  if (base.slim) {
    files['etc/dpkg/dpkg.cfg.d/docker'] = [
      '# as in debian:*-slim: packages installed later leave out documentation and translations',
      'path-exclude /usr/share/doc/*',
      'path-include /usr/share/doc/*/copyright',
      'path-exclude /usr/share/man/*',
      'path-exclude /usr/share/groff/*',
      'path-exclude /usr/share/info/*',
      'path-exclude /usr/share/locale/*',
      'path-include /usr/share/locale/locale.alias',
      'path-exclude /usr/share/lintian/*',
      'path-exclude /usr/share/linda/*',
      '',
    ].join('\n');
  }
  return files;
}

/** `tar` arguments that write the tree to `tarFile`, leaving out what an image must not carry. Pure. */
export function tarArgs(base: DebianBase, rootfs: string, tarFile: string): string[] {
  const left = [
    // the downloaded package lists and packages (an image's first RUN fetches current ones), this host's name and resolver
    './var/lib/apt/lists/*',
    './var/cache/apt/*',
    './etc/hostname',
    './etc/resolv.conf',
    ...(base.slim ? ['./usr/share/man/*', './usr/share/info/*', './usr/share/locale/*'] : []),
  ];
  return ['--numeric-owner', '--xattrs', '-C', rootfs, '-cf', tarFile, ...left.map((pattern) => `--exclude=${pattern}`), '.'];
}

/** The CA certificates this machine added (file names in LOCAL_CA_FOLDER): *.crt files, sorted. Pure. */
export function localCaCertificates(names: readonly string[]): string[] {
  return names.filter((name) => name.endsWith('.crt') && !name.startsWith('.')).sort();
}

/** `docker import` arguments: the tree as `base.image`, labelled, with Debian's PATH and command. Pure. */
export function importArgs(base: DebianBase, tarFile: string, caCertificates: readonly string[] = []): string[] {
  const ca = caCertificates.length > 0 ? `; this machine's CA certificates: ${caCertificates.join(', ')}` : '';
  const how = `debootstrap --variant=minbase ${base.suite}${base.slim ? ' (slim)' : ''}${ca}`;
  return [
    'import',
    '--change',
    `LABEL ${BASE_IMAGE_LABEL}="${how}"`,
    '--change',
    `ENV PATH=${IMAGE_PATH}`,
    '--change',
    'CMD ["bash"]',
    '--message',
    `made by local-dev from ${DEBIAN_MIRROR} (${how}): no registry answered`,
    tarFile,
    base.image,
  ];
}

/** Makes `base.image` from Debian's packages: debootstrap, the image's files, tar, docker import. */
export async function makeDebianImage(base: DebianBase, log: (line: string) => void, uid = process.getuid?.(), caFolder = LOCAL_CA_FOLDER): Promise<void> {
  const caCertificates = localCaCertificates(listFolder(caFolder));
  const work = mkdtempSync(path.join(tmpdir(), `local-dev-${base.suite}-`));
  const rootfs = path.join(work, 'rootfs');
  const tarFile = path.join(work, 'rootfs.tar');
  const root = async (command: string, args: string[], timeoutMs: number) => {
    const [program, programArgs] = asRoot(uid, command, args);
    return exec(program, programArgs, { timeoutMs, tailLines: 15 });
  };
  try {
    log(`making ${base.image} from Debian's packages: debootstrap --variant=minbase ${base.suite} (about a minute; once per machine)`);
    try {
      await root('debootstrap', debootstrapArgs(base, rootfs), DEBOOTSTRAP_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof ChildProcessError && error.outputTail.includes('debootstrap: command not found')) {
        throw new DockerError(`cannot make ${base.image}: debootstrap is not installed`, {
          fix: `install it (sudo apt-get install debootstrap; bash scripts/setup-machine.sh does), or make ${base.image} available (docker pull / docker load)`,
          cause: error,
        });
      }
      throw new DockerError(
        `cannot make ${base.image}: debootstrap from ${DEBIAN_MIRROR} failed:\n${error instanceof ChildProcessError ? error.outputTail : String(error)}`,
        {
          fix:
            error instanceof ChildProcessError && /a password is required/.test(error.outputTail)
              ? `run \`bash scripts/setup-machine.sh\` in a terminal (it asks for your sudo password and makes ${base.image} once), or make ${base.image} available (docker pull / docker load)`
              : `check that ${DEBIAN_MIRROR} answers from this machine (and that you may use sudo), or make ${base.image} available (docker pull / docker load)`,
          cause: error,
        },
      );
    }
    for (const [file, text] of Object.entries(imageFiles(base))) {
      const staged = path.join(work, path.basename(file));
      writeFileSync(staged, text);
      await root('install', ['-D', '-m', '0644', staged, path.join(rootfs, file)], 30_000);
    }
    for (const name of caCertificates) {
      await root('install', ['-D', '-m', '0644', path.join(caFolder, name), path.join(rootfs, LOCAL_CA_FOLDER.slice(1), name)], 30_000);
    }
    if (caCertificates.length > 0)
      log(`${base.image}: with this machine's CA certificates from ${caFolder} (${caCertificates.join(', ')}), trusted once a build installs ca-certificates`);
    // sources.list.d/debian.sources replaces the one-line list debootstrap wrote.
    await root('rm', ['-f', path.join(rootfs, 'etc', 'apt', 'sources.list')], 30_000);
    await root('tar', tarArgs(base, rootfs, tarFile), IMPORT_TIMEOUT_MS);
    await exec('docker', importArgs(base, tarFile, caCertificates), { timeoutMs: IMPORT_TIMEOUT_MS });
  } finally {
    // --one-file-system: a debootstrap stopped half-way may leave /proc mounted in the tree. A
    // cleanup that fails is said, and never takes the place of the error that brought us here.
    await root('rm', ['-rf', '--one-file-system', work], 5 * 60_000).catch((error: unknown) =>
      log(`could not remove the temporary folder ${work} (${error instanceof Error ? error.message : String(error)}): remove it by hand (sudo rm -rf ${work})`),
    );
  }
}

function listFolder(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch (error) {
    // No folder: this machine added no CA of its own, the usual case.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Makes `image` exist here: present → untouched; else pulled; else (Debian's) made with debootstrap. */
export async function ensureBaseImage(image: string, log: (line: string) => void): Promise<BaseImageOutcome> {
  const started = Date.now();
  const outcome = (how: BaseImageOutcome['how']): BaseImageOutcome => ({ image, how, seconds: (Date.now() - started) / 1000 });
  if (await imageExists(image)) return outcome('present');
  let pullFailure: string;
  try {
    await exec('docker', ['pull', '--quiet', image], { timeoutMs: PULL_TIMEOUT_MS });
    log(`pulled ${image}`);
    return outcome('pulled');
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    pullFailure = error.signal?.startsWith('timeout') ? `no answer within ${PULL_TIMEOUT_MS / 1000} s` : (error.outputTail.split('\n').pop() ?? error.message);
  }
  const debian = debianBaseFor(image);
  if (!debian) {
    throw new DockerError(`${image} is not on this machine and cannot be pulled (${pullFailure})`, {
      fix: `make it available (docker pull ${image} where a registry answers, or docker load), or start the Dockerfile FROM an image local-dev can make: debian:<${Object.keys(DEBIAN_SUITES).join('|')}>[-slim]`,
    });
  }
  log(`${image}: not on this machine, and the registry did not give it (${pullFailure})`);
  await makeDebianImage(debian, log);
  const made = outcome('made');
  log(`made ${image} in ${made.seconds.toFixed(0)} s (labelled ${BASE_IMAGE_LABEL}); later runs use it as it is`);
  return made;
}

/** Every base image of these Dockerfiles' texts, each ensured once, in order. */
export async function ensureBaseImages(dockerfiles: string[], log: (line: string) => void): Promise<BaseImageOutcome[]> {
  const images = [...new Set(dockerfiles.flatMap(baseImagesOf))];
  const outcomes: BaseImageOutcome[] = [];
  for (const image of images) outcomes.push(await ensureBaseImage(image, log));
  return outcomes;
}
