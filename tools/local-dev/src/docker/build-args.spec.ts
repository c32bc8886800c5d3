import { buildCommand, type BuildSpec } from './build-args';
import type { BuildClient } from './client';

const spec: BuildSpec = {
  image: 'local-dev/bifrost:0123456789ab',
  dockerfile: '/ws/cloned/bifrost/bifrost.dev.Dockerfile',
  context: '/ws/cloned/bifrost',
  buildArgs: { NODE_ENV: 'development', API: 'http://health-api:8000' },
  labels: { 'io.local-dev.service': 'bifrost', 'io.local-dev.input-hash': '0123456789ab' },
  secrets: ['GITHUB_NPM_TOKEN'],
};
const debian2010: BuildClient = { program: '/usr/bin/docker', version: '20.10.24', mode: 'buildkit-env', secretFromEnv: true };
const withBuildx: BuildClient = { program: '/usr/local/bin/docker', version: '28.2.2', mode: 'buildx', secretFromEnv: true };

describe('buildCommand', () => {
  it('uses the classic build with DOCKER_BUILDKIT=1 on a 20.10 client, the secret read from the environment', () => {
    expect(buildCommand(debian2010, spec)).toEqual({
      program: '/usr/bin/docker',
      args: [
        'build',
        '--progress=plain',
        '--file',
        '/ws/cloned/bifrost/bifrost.dev.Dockerfile',
        '--tag',
        'local-dev/bifrost:0123456789ab',
        '--label',
        'io.local-dev.input-hash=0123456789ab',
        '--label',
        'io.local-dev.service=bifrost',
        '--build-arg',
        'API=http://health-api:8000',
        '--build-arg',
        'NODE_ENV=development',
        '--secret',
        'id=GITHUB_NPM_TOKEN,env=GITHUB_NPM_TOKEN',
        '/ws/cloned/bifrost',
      ],
      env: { DOCKER_BUILDKIT: '1' },
    });
  });

  it('uses buildx build --load when buildx exists', () => {
    const command = buildCommand(withBuildx, spec);
    expect(command.args.slice(0, 3)).toEqual(['buildx', 'build', '--load']);
    expect(command.env).toEqual({});
  });

  it('points the secret at a file when the client cannot read it from the environment', () => {
    const command = buildCommand({ ...debian2010, version: '19.3.0', secretFromEnv: false }, { ...spec, secretFiles: { GITHUB_NPM_TOKEN: '/tmp/s/1' } });
    expect(command.args).toContain('id=GITHUB_NPM_TOKEN,src=/tmp/s/1');
  });

  it('passes each secret its own way: a file where one was written, else the environment', () => {
    const command = buildCommand(debian2010, { ...spec, secrets: ['GITHUB_NPM_TOKEN', 'PIP_TOKEN'], secretFiles: { PIP_TOKEN: '/tmp/s/2' } });
    expect(command.args.slice(-5)).toEqual([
      '--secret',
      'id=GITHUB_NPM_TOKEN,env=GITHUB_NPM_TOKEN',
      '--secret',
      'id=PIP_TOKEN,src=/tmp/s/2',
      '/ws/cloned/bifrost',
    ]);
  });

  it('never carries a secret value: only ids go on the command line', () => {
    expect(JSON.stringify(buildCommand(debian2010, spec))).not.toMatch(/ghp_|_authToken/);
  });
});
