import type { PlannedFile } from '../inject/plan';
import { planBuildIgnores } from './build-ignore';

const config = (dest: string): PlannedFile => ({ dest, kind: 'config', origin: `configs/s1/${dest}`, source: { type: 'file', path: `configs/s1/${dest}` } });
const dockerfile = (dest: string): PlannedFile => ({ dest, kind: 'dockerfile', origin: `repos_docker_files/${dest}`, source: { type: 'file', path: `repos_docker_files/${dest}` } });

describe('planBuildIgnores', () => {
  it("writes <Dockerfile>.dockerignore for a simple Dockerfile, and says why another one's image stays local-only", () => {
    const { files, notes } = planBuildIgnores({
      files: [config('.env'), config('ignored/token'), dockerfile('api.dev.Dockerfile'), dockerfile('worker.dev.Dockerfile')],
      dockerfileTexts: new Map([
        ['api.dev.Dockerfile', 'FROM busybox\nWORKDIR /app\nCOPY . .\n'],
        ['worker.dev.Dockerfile', 'FROM busybox\nADD . /app\n'],
      ]),
      buildArgs: new Map(),
      repoIgnoreText: 'ignored\n',
    });
    expect(files).toEqual([
      {
        dest: 'api.dev.Dockerfile.dockerignore',
        kind: 'build-ignore',
        origin: 'repos_docker_files/api.dev.Dockerfile',
        source: { type: 'text', text: 'ignored\n# local-dev: injected secret files, kept out of the image and copied into the container at up\n/.env\n' },
        note: 'keeps .env out of the image; up copies .env to /app/.env',
      },
    ]);
    expect(notes).toEqual([expect.stringMatching(/^worker\.dev\.Dockerfile: its image stays on this laptop \(local-only, never pushed\): .*ADD copies \.env/)]);
  });

  it('writes nothing when the context holds no secret file', () => {
    const none = planBuildIgnores({ files: [dockerfile('api.dev.Dockerfile')], dockerfileTexts: new Map([['api.dev.Dockerfile', 'FROM busybox\nADD . /app\n']]), buildArgs: new Map(), repoIgnoreText: '' });
    expect(none).toEqual({ files: [], notes: [] });
  });
});
