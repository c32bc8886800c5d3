import { parseConfigText } from '../config/load';
import { missingSecrets, missingSecretsError, servicesBuildingInRun } from './run-secrets';

const model = parseConfigText(
  `
services:
  bifrost:
    repo: git@github.com:orange-health/bifrost.git
    build-secrets: [GITHUB_NPM_TOKEN]
  oms-web:
    repo: git@github.com:orange-health/oms-web.git
    build-secrets: [GITHUB_NPM_TOKEN, OTHER_TOKEN]
  health-api:
    repo: git@github.com:orange-health/health-api.git
`,
  'config.yaml',
);

const task = (project: string, target: string) => ({ [`${project}:${target}`]: { target: { project, target } } });

describe('build secrets of the whole run', () => {
  it('finds the services whose build-image is in the run (from the task graph), always including the current one', () => {
    const taskGraph = {
      tasks: { ...task('oms-web', 'build-image'), ...task('bifrost', 'up'), ...task('health-api', 'build-image'), ...task('docker-compose', 'generate') },
    };
    expect(servicesBuildingInRun(taskGraph, model, 'health-api').map((service) => service.name)).toEqual(['oms-web', 'health-api']);
    expect(servicesBuildingInRun(undefined, model, 'bifrost').map((service) => service.name)).toEqual(['bifrost']);
  });

  it('names every missing secret with every service needing it, from the environment or .env.local', () => {
    const services = model.services;
    expect(missingSecrets(services, { environment: {}, envLocal: {} })).toEqual(
      new Map([
        ['GITHUB_NPM_TOKEN', ['bifrost', 'oms-web']],
        ['OTHER_TOKEN', ['oms-web']],
      ]),
    );
    expect(missingSecrets(services, { environment: { GITHUB_NPM_TOKEN: 'x' }, envLocal: { OTHER_TOKEN: 'y' } }).size).toBe(0);
    const error = missingSecretsError(missingSecrets(services, { environment: { OTHER_TOKEN: 'y' }, envLocal: {} }));
    expect(error.message).toBe('build secret not set: GITHUB_NPM_TOKEN (needed by bifrost, oms-web) — nothing was built');
    expect(error.fix).toContain('.env.local');
  });
});
