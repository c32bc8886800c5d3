/**
 * A base image where no image registry answers: `ensureBaseImage('debian:bookworm')` with the image
 * absent tries `docker pull`, then makes it from Debian's packages (debootstrap + docker import) —
 * for real, about a minute. The image it makes must serve a Dockerfile as Debian's own does:
 * apt-get update/install work, the label says who made it, and this machine's own CA certificates
 * are there for a build to trust.
 *
 * debian:bookworm, not the demo's debian:bookworm-slim: remaking that one would give it a new id, and
 * every image built FROM it (the demo's) would be built again from its first line. (-slim's own
 * files and exclusions are unit-tested in base-image.spec.ts; the demo's e2e builds on the real one.)
 * It removes debian:bookworm only when local-dev made it (its label says so): a user's image is never
 * touched; then it makes a copy under a test tag instead. Needs root or sudo, Debian's mirror and a
 * minute, so it runs where the demo's e2e runs: with LOCAL_DEV_E2E_DEMO=1 (.ci/run):
 *
 *   LOCAL_DEV_E2E_DEMO=1 npx jest --runInBand tools/local-dev/e2e/base-image.e2e.spec.ts
 */
import { existsSync, readdirSync } from 'node:fs';
import { exec } from '../src/core/exec';
import { BASE_IMAGE_LABEL, ensureBaseImage, LOCAL_CA_FOLDER, localCaCertificates, makeDebianImage } from '../src/docker/base-image';
import { imageExists } from '../src/docker/queries';

jest.setTimeout(20 * 60_000);

const asked = process.env.LOCAL_DEV_E2E_DEMO === '1';
const IMAGE = 'debian:bookworm';
const TEST_TAG = `local-dev-e2e/debian:bookworm-${process.pid}`;

async function labelOf(image: string): Promise<string | undefined> {
  const { stdout } = await exec('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', image]);
  return (JSON.parse(stdout) as Record<string, string> | null)?.[BASE_IMAGE_LABEL];
}

afterAll(async () => {
  if (!asked) return;
  await exec('docker', ['image', 'rm', '--force', TEST_TAG]);
  // What this test made is not left behind (it is made again by the next run).
  if ((await imageExists(IMAGE)) && (await labelOf(IMAGE)) !== undefined) await exec('docker', ['image', 'rm', IMAGE]);
});

(asked ? describe : describe.skip)('base image where no registry answers (runs with LOCAL_DEV_E2E_DEMO=1, as .ci/run does)', () => {
  it("makes debian:bookworm from Debian's packages when it is missing and no registry gives it, and a Dockerfile's apt-get works in it", async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const ours = (await imageExists(IMAGE)) && (await labelOf(IMAGE)) !== undefined;
    let image = IMAGE;
    if (ours || !(await imageExists(IMAGE))) {
      // Ours (or absent): the real path, as on a fresh machine; the demo finds it again afterwards.
      if (ours) await exec('docker', ['image', 'rm', IMAGE]);
      const outcome = await ensureBaseImage(IMAGE, log);
      if (outcome.how === 'pulled') return; // a registry answered here: nothing to make (said in the log)
      expect(outcome.how).toBe('made');
      expect(lines[0]).toMatch(/^debian:bookworm: not on this machine, and the registry did not give it \(.+\)$/);
      expect(lines.at(-1)).toMatch(/^made debian:bookworm in \d+ s \(labelled io\.local-dev\.base-image\); later runs use it as it is$/);
      expect(await ensureBaseImage(IMAGE, log)).toMatchObject({ how: 'present' });
    } else {
      // A user's own debian:bookworm is never replaced: the same making, under a test tag.
      image = TEST_TAG;
      await makeDebianImage({ image, suite: 'bookworm', slim: false }, log);
    }

    const cas = localCaCertificates(existsSync(LOCAL_CA_FOLDER) ? readdirSync(LOCAL_CA_FOLDER) : []);
    expect(await labelOf(image)).toBe(`debootstrap --variant=minbase bookworm${cas.length > 0 ? `; this machine's CA certificates: ${cas.join(', ')}` : ''}`);
    const { stdout: config } = await exec('docker', ['image', 'inspect', '--format', '{{json .Config.Cmd}} {{json .Config.Env}}', image]);
    expect(config).toBe('["bash"] ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]');

    // What a Dockerfile's first RUN does, in the image: Debian's sources, apt-get install (no -slim excludes here).
    const script = [
      '. /etc/os-release && echo "release: $VERSION_CODENAME"',
      'ls /etc/apt/sources.list.d',
      'test ! -e /etc/apt/sources.list && echo "no sources.list"',
      'echo "lists: $(ls /var/lib/apt/lists 2>/dev/null | grep -c _Packages)"',
      `echo "cas: $(ls ${LOCAL_CA_FOLDER} 2>/dev/null | tr '\\n' ' ')"`,
      'apt-get update -qq && apt-get install -y -qq --no-install-recommends hello >/dev/null 2>&1 && hello',
      'test -e /usr/share/man/man1/hello.1.gz && echo "manual page installed"',
    ].join(' && ');
    const { stdout } = await exec('docker', ['run', '--rm', image, 'bash', '-c', script], { timeoutMs: 10 * 60_000 });
    expect(stdout.split('\n')).toEqual([
      'release: bookworm',
      'debian.sources',
      'no sources.list',
      'lists: 0',
      `cas: ${cas.map((name) => `${name} `).join('')}`,
      'Hello, world!',
      'manual page installed',
    ]);
  });
});
