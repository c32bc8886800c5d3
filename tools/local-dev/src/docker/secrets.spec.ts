import { UsageError } from '../core/errors';
import { parseEnvFile, resolveBuildSecrets } from './secrets';

const model = {
  services: [
    { name: 'bifrost', buildSecrets: ['GITHUB_NPM_TOKEN'] },
    { name: 'oms-web', buildSecrets: ['GITHUB_NPM_TOKEN'] },
    { name: 'health-api', buildSecrets: [] },
  ],
} as never;

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, export, quotes and comments', () => {
    expect(parseEnvFile('# tokens\nexport A=1\nB="two words"\nC=\'x#y\'\nD=plain # note\n\nnot a line\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x#y',
      D: 'plain',
    });
  });
});

describe('resolveBuildSecrets', () => {
  it('takes the environment first, then .env.local', () => {
    expect(resolveBuildSecrets(['GITHUB_NPM_TOKEN'], { environment: { GITHUB_NPM_TOKEN: 'env' }, envLocal: { GITHUB_NPM_TOKEN: 'file' } }, model)).toEqual({
      GITHUB_NPM_TOKEN: 'env',
    });
    expect(resolveBuildSecrets(['GITHUB_NPM_TOKEN'], { environment: {}, envLocal: { GITHUB_NPM_TOKEN: 'file' } }, model)).toEqual({ GITHUB_NPM_TOKEN: 'file' });
  });

  it('names every service that needs a missing token, and how to set it', () => {
    const attempt = () => resolveBuildSecrets(['GITHUB_NPM_TOKEN'], { environment: { GITHUB_NPM_TOKEN: '' }, envLocal: {} }, model);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow('build secret not set: GITHUB_NPM_TOKEN (needed by bifrost, oms-web)');
    try {
      attempt();
    } catch (error) {
      expect((error as UsageError).fix).toContain('.env.local');
    }
  });
});
