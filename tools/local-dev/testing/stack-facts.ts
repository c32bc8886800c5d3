/**
 * The facts of one service as the stack specs need them (stack/model, stack/container-end,
 * dashboard/view): a service "api" built from its own clone, running the image its inputs call for.
 * Each builder takes the fields a test changes; everything else is this one plain, healthy picture.
 */
import type { RepoModel, ServiceModel } from '../src/config/model';
import type { ContainerFacts } from '../src/stack/docker-facts';

/** The image api's current inputs call for. */
export const WANTED_IMAGE = 'local-dev/api:aaaaaaaaaaaa';
/** An image of earlier inputs. */
export const OLD_IMAGE = 'local-dev/api:bbbbbbbbbbbb';

export const apiRepo: RepoModel = { url: 'file:///r/api.git', branch: 'main', dir: 'api', alwaysRefresh: false, owner: 'api', services: ['api'], configs: [] };

export function apiService(overrides: Partial<ServiceModel> = {}): ServiceModel {
  return {
    name: 'api',
    kind: 'service',
    owner: 'api',
    dir: 'api',
    dockerfile: 'api.dev.Dockerfile',
    ports: [{ host: 8000, container: 8000, protocol: 'tcp' }],
    debug: { containerPort: 5678, hostPort: 5726 },
    environment: {},
    buildArgs: {},
    buildSecrets: [],
    healthcheck: { type: 'http', path: '/health', port: 8000, timeoutSeconds: 90 },
    dependsOn: [],
    ...overrides,
  };
}

export function apiContainer(overrides: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    id: '0123456789abcdef0123',
    name: 'local-dev-x_api_1',
    service: 'api',
    image: WANTED_IMAGE,
    status: 'running',
    exitCode: 0,
    oomKilled: false,
    error: '',
    health: undefined,
    restartCount: 0,
    startedAt: '2026-11-29T10:00:00Z',
    finishedAt: undefined,
    definition: 'def1',
    ports: [],
    ...overrides,
  };
}
