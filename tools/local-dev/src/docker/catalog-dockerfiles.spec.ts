/**
 * The company catalog's dev Dockerfiles (repos_docker_files/*.dev.Dockerfile): one per service in
 * config.yaml, build secrets only ever through a BuildKit secret mount, debuggers on DEBUG_PORT.
 * (They cannot be built here: no registry serves python/node/golang base images.)
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';

const root = path.resolve(__dirname, '../../../..');
const model = loadConfig(root);
const dockerfile = (name: string) => readFileSync(path.join(root, 'repos_docker_files', name), 'utf8');

describe('the catalog Dockerfiles', () => {
  it.each(model.services.map((service) => [service.name, service.dockerfile]))('%s has its dev Dockerfile', (_name, file) => {
    expect(dockerfile(file)).toMatch(/^FROM /m);
  });

  it.each(model.services.filter((service) => service.buildSecrets.length > 0).map((service) => [service.name, service]))(
    '%s receives its build secrets through RUN --mount=type=secret, never ARG or ENV',
    (_name, service) => {
      const text = dockerfile(service.dockerfile);
      for (const secret of service.buildSecrets) {
        expect(text).toMatch(new RegExp(`^RUN --mount=type=secret,id=${secret}\\b`, 'm'));
        expect(text).not.toMatch(new RegExp(`^\\s*(ARG|ENV)\\s+[^\\n]*\\b${secret}\\b`, 'm'));
      }
    },
  );

  it.each(model.services.filter((service) => service.debug).map((service) => [service.name, service.dockerfile]))(
    '%s starts its debugger on DEBUG_PORT',
    (_name, file) => {
      expect(dockerfile(file)).toMatch(/debugpy --listen 0\.0\.0\.0:\$\{DEBUG_PORT/);
    },
  );
});
