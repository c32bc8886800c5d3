/**
 * base-image.ts: which images a Dockerfile needs, what is made from Debian's packages and how (pure),
 * and, against the real Docker engine, that an image already there is never touched and an image
 * nobody can give is refused with the fix. Making an image with debootstrap takes a minute and root:
 * e2e/base-image.e2e.spec.ts does it (gated like the demo's e2e).
 */
import { exec } from '../core/exec';
import { DockerError } from '../core/errors';
import {
  asRoot,
  BASE_IMAGE_LABEL,
  baseImagesOf,
  debianBaseFor,
  debootstrapArgs,
  ensureBaseImage,
  imageFiles,
  importArgs,
  localCaCertificates,
  tarArgs,
} from './base-image';

describe('baseImagesOf: the images a Dockerfile starts FROM', () => {
  it.each([
    ['one FROM', 'FROM debian:bookworm-slim\nRUN true\n', ['debian:bookworm-slim']],
    [
      'stages: an earlier stage is no image to get, scratch neither',
      'FROM golang:1.22 AS build\nRUN go build\nFROM build AS test\nFROM scratch\nCOPY --from=build /x /x\n',
      ['golang:1.22'],
    ],
    ['--platform and lower case', 'from --platform=linux/amd64 debian:bookworm-slim as base\n', ['debian:bookworm-slim']],
    ['a name from an ARG: only the build knows it', 'ARG BASE=debian:bookworm\nFROM ${BASE}\n', []],
    ['the same image twice counts once', 'FROM node:20 AS deps\nFROM node:20\n', ['node:20']],
    ['a stage named like an image of a later FROM (any case)', 'FROM debian:bookworm AS Base\nFROM base\n', ['debian:bookworm']],
    ['CRLF lines', 'FROM debian:bookworm-slim\r\nRUN true\r\n', ['debian:bookworm-slim']],
  ])('%s', (_what, dockerfile, images) => {
    expect(baseImagesOf(dockerfile)).toEqual(images);
  });
});

describe("debianBaseFor: what local-dev can make from Debian's packages", () => {
  it.each([
    ['debian:bookworm-slim', { suite: 'bookworm', slim: true }],
    ['debian:bookworm', { suite: 'bookworm', slim: false }],
    ['library/debian:trixie-slim', { suite: 'trixie', slim: true }],
    ['docker.io/library/debian:bullseye', { suite: 'bullseye', slim: false }],
    ['debian:12-slim', { suite: 'bookworm', slim: true }],
    ['debian:13', { suite: 'trixie', slim: false }],
  ])('%s', (image, expected) => {
    expect(debianBaseFor(image)).toEqual({ image, ...expected });
  });

  it.each([
    'debian:10',
    'debian:12.5',
    'debian:latest',
    'debian:sid',
    'acme/debian:bookworm-slim',
    'registry.example.com/debian:bookworm',
    'python:3.11-slim-bookworm',
    'debian:bookworm-slim@sha256:abc',
  ])("not %s: no suite debootstrap knows, or not Debian's own image", (image) => {
    expect(debianBaseFor(image)).toBeUndefined();
  });
});

describe('the commands that make an image (argument lists only)', () => {
  const slim = { image: 'debian:bookworm-slim', suite: 'bookworm', slim: true };
  const full = { image: 'debian:bookworm', suite: 'bookworm', slim: false };
  // A path no shell could take literally stays one argument.
  const odd = '/tmp/local dev; rm -rf ~/x';

  it('runs root steps directly as root, through sudo otherwise', () => {
    expect(asRoot(0, 'debootstrap', ['a'])).toEqual(['debootstrap', ['a']]);
    expect(asRoot(1000, 'debootstrap', ['a'])).toEqual(['sudo', ['-n', 'debootstrap', 'a']]);
    expect(asRoot(undefined, 'tar', [])).toEqual(['sudo', ['-n', 'tar']]);
  });

  it("debootstraps the minimal variant of the suite from Debian's mirror", () => {
    expect(debootstrapArgs(slim, `${odd}/rootfs`)).toEqual(['--variant=minbase', 'bookworm', `${odd}/rootfs`, 'http://deb.debian.org/debian']);
  });

  it("writes the apt sources of Debian's image (updates and security too), and for -slim its dpkg excludes", () => {
    const files = imageFiles(slim);
    expect(files['etc/apt/sources.list.d/debian.sources']).toBe(
      [
        'Types: deb',
        'URIs: http://deb.debian.org/debian',
        'Suites: bookworm bookworm-updates',
        'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
        'Types: deb',
        'URIs: http://deb.debian.org/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
      ].join('\n'),
    );
    expect(files['etc/dpkg/dpkg.cfg.d/docker']).toContain('path-exclude /usr/share/man/*');
    expect(files['etc/dpkg/dpkg.cfg.d/docker']).toContain('path-include /usr/share/doc/*/copyright');
    expect(Object.keys(imageFiles(full)).sort()).toEqual(['etc/apt/apt.conf.d/docker-no-languages', 'etc/apt/sources.list.d/debian.sources']);
  });

  it("leaves package lists, apt caches and this host's name and resolver out of the tar; -slim also manuals and translations", () => {
    const args = tarArgs(slim, `${odd}/rootfs`, `${odd}/rootfs.tar`);
    expect(args.slice(0, 6)).toEqual(['--numeric-owner', '--xattrs', '-C', `${odd}/rootfs`, '-cf', `${odd}/rootfs.tar`]);
    expect(args.at(-1)).toBe('.');
    expect(args.filter((arg) => arg.startsWith('--exclude='))).toEqual([
      '--exclude=./var/lib/apt/lists/*',
      '--exclude=./var/cache/apt/*',
      '--exclude=./etc/hostname',
      '--exclude=./etc/resolv.conf',
      '--exclude=./usr/share/man/*',
      '--exclude=./usr/share/info/*',
      '--exclude=./usr/share/locale/*',
    ]);
    expect(tarArgs(full, 'r', 't').filter((arg) => arg.includes('/usr/share/'))).toEqual([]);
  });

  it("imports the tree under the image's own name, labelled as made by local-dev, with Debian's PATH and command", () => {
    expect(importArgs(slim, `${odd}/rootfs.tar`)).toEqual([
      'import',
      '--change',
      `LABEL ${BASE_IMAGE_LABEL}="debootstrap --variant=minbase bookworm (slim)"`,
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      'CMD ["bash"]',
      '--message',
      'made by local-dev from http://deb.debian.org/debian (debootstrap --variant=minbase bookworm (slim)): no registry answered',
      `${odd}/rootfs.tar`,
      'debian:bookworm-slim',
    ]);
    expect(importArgs(full, 't', ['corp.crt'])[2]).toBe(
      `LABEL ${BASE_IMAGE_LABEL}="debootstrap --variant=minbase bookworm; this machine's CA certificates: corp.crt"`,
    );
  });

  it('takes the CA certificates this machine added as update-ca-certificates does: *.crt files', () => {
    expect(localCaCertificates(['proxy.crt', 'README', 'corp.pem', '.hidden.crt', 'a.crt'])).toEqual(['a.crt', 'proxy.crt']);
  });
});

describe('ensureBaseImage against the real engine', () => {
  const tag = `local-dev-spec-base/present-${process.pid}:1`;
  afterAll(async () => {
    await exec('docker', ['image', 'rm', '--force', tag]);
  });

  it('leaves an image that is there exactly as it is, whoever made it', async () => {
    await exec('docker', ['tag', 'busybox:1.36', tag]);
    const before = (await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', tag])).stdout;
    const lines: string[] = [];
    const outcome = await ensureBaseImage(tag, (line) => lines.push(line));
    expect(outcome).toMatchObject({ image: tag, how: 'present' });
    expect(lines).toEqual([]);
    expect((await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', tag])).stdout).toBe(before);
  });

  it("refuses an image that is not here, cannot be pulled and is not Debian's, naming it and what to do", async () => {
    const missing = `local-dev-spec-base/missing-${process.pid}:1`;
    const failure = await ensureBaseImage(missing, () => undefined).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DockerError);
    expect((failure as DockerError).message).toMatch(
      new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not on this machine and cannot be pulled \\(.+\\)$`),
    );
    expect((failure as DockerError).fix).toBe(
      `make it available (docker pull ${missing} where a registry answers, or docker load), or start the Dockerfile FROM an image local-dev can make: debian:<bullseye|bookworm|trixie>[-slim]`,
    );
  });
});
