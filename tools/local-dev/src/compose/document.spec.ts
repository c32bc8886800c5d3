import { parseConfigText } from '../config/load';
import type { ServiceModel } from '../config/model';
import { composeDocument, escapeDollars, formatPort, isLoopback, publishAddress, publishedPorts } from './document';
import { renderCompose } from './write';

const CONFIG = `
network: oh-network
redis: { port: 6390 }
services:
  health-api:
    repo: git@github.com:orange-health/health-api.git
    ports: ["8000:8000"]
    debug-port: 5678
    environment: { DJANGO_SETTINGS_MODULE: app.settings, PRICE: "$5" }
    build-args: { PYTHON_VERSION: "3.8" }
    healthcheck: { http: /health }
  scheduler-api:
    repo: git@github.com:orange-health/scheduler-api.git
    ports: ["0.0.0.0:8010:8010", "9999:9999/udp"]
    debug-port: 5678
    build-secrets: [GITHUB_NPM_TOKEN]
  oms-api:
    repo: git@github.com:orange-health/oms.git
    workers:
      oms-worker: { dockerfile: oms-worker.dev.Dockerfile }
`;

const model = parseConfigText(CONFIG, 'config.yaml');
const settings = { namespace: 's2', workspaceId: 'abc123abc123' };

describe('composeDocument', () => {
  it('maps the model to a compose file both compose v1 and v2 accept', () => {
    expect(composeDocument(model, settings)).toMatchInlineSnapshot(`
{
  "networks": {
    "oh-network": {
      "external": true,
      "name": "oh-network",
    },
  },
  "services": {
    "health-api": {
      "build": {
        "args": {
          "PYTHON_VERSION": "3.8",
        },
        "context": "./cloned/health-api",
        "dockerfile": "health-api.dev.Dockerfile",
        "labels": {
          "io.local-dev.service": "health-api",
          "io.local-dev.workspace": "abc123abc123",
        },
      },
      "environment": {
        "DEBUG_PORT": "5678",
        "DJANGO_SETTINGS_MODULE": "app.settings",
        "LOCAL_DEV_NAMESPACE": "s2",
        "PRICE": "$$5",
        "REDIS_HOST": "host.docker.internal",
        "REDIS_PORT": "6390",
      },
      "extra_hosts": [
        "host.docker.internal:host-gateway",
      ],
      "image": "\${LOCAL_DEV_IMAGE_HEALTH_API:-local-dev/health-api:latest}",
      "init": true,
      "labels": {
        "io.local-dev.definition": "4e64b60a1371",
        "io.local-dev.service": "health-api",
        "io.local-dev.workspace": "abc123abc123",
      },
      "networks": [
        "oh-network",
      ],
      "ports": [
        "127.0.0.1:8000:8000",
        "127.0.0.1:5726:5678",
      ],
    },
    "oms-api": {
      "build": {
        "context": "./cloned/oms",
        "dockerfile": "oms-api.dev.Dockerfile",
        "labels": {
          "io.local-dev.service": "oms-api",
          "io.local-dev.workspace": "abc123abc123",
        },
      },
      "environment": {
        "LOCAL_DEV_NAMESPACE": "s2",
        "REDIS_HOST": "host.docker.internal",
        "REDIS_PORT": "6390",
      },
      "extra_hosts": [
        "host.docker.internal:host-gateway",
      ],
      "image": "\${LOCAL_DEV_IMAGE_OMS_API:-local-dev/oms-api:latest}",
      "init": true,
      "labels": {
        "io.local-dev.definition": "1e870223130f",
        "io.local-dev.service": "oms-api",
        "io.local-dev.workspace": "abc123abc123",
      },
      "networks": [
        "oh-network",
      ],
    },
    "oms-worker": {
      "build": {
        "context": "./cloned/oms",
        "dockerfile": "oms-worker.dev.Dockerfile",
        "labels": {
          "io.local-dev.service": "oms-worker",
          "io.local-dev.workspace": "abc123abc123",
        },
      },
      "environment": {
        "LOCAL_DEV_NAMESPACE": "s2",
        "REDIS_HOST": "host.docker.internal",
        "REDIS_PORT": "6390",
      },
      "extra_hosts": [
        "host.docker.internal:host-gateway",
      ],
      "image": "\${LOCAL_DEV_IMAGE_OMS_WORKER:-local-dev/oms-worker:latest}",
      "init": true,
      "labels": {
        "io.local-dev.definition": "cb509844b334",
        "io.local-dev.service": "oms-worker",
        "io.local-dev.workspace": "abc123abc123",
      },
      "networks": [
        "oh-network",
      ],
    },
    "scheduler-api": {
      "build": {
        "context": "./cloned/scheduler-api",
        "dockerfile": "scheduler-api.dev.Dockerfile",
        "labels": {
          "io.local-dev.service": "scheduler-api",
          "io.local-dev.workspace": "abc123abc123",
        },
      },
      "environment": {
        "DEBUG_PORT": "5678",
        "LOCAL_DEV_NAMESPACE": "s2",
        "REDIS_HOST": "host.docker.internal",
        "REDIS_PORT": "6390",
      },
      "extra_hosts": [
        "host.docker.internal:host-gateway",
      ],
      "image": "\${LOCAL_DEV_IMAGE_SCHEDULER_API:-local-dev/scheduler-api:latest}",
      "init": true,
      "labels": {
        "io.local-dev.definition": "f4e2311e4278",
        "io.local-dev.service": "scheduler-api",
        "io.local-dev.workspace": "abc123abc123",
      },
      "networks": [
        "oh-network",
      ],
      "ports": [
        "0.0.0.0:8010:8010",
        "127.0.0.1:9999:9999/udp",
        "127.0.0.1:5727:5678",
      ],
    },
  },
  "version": "3.8",
}
`);
  });

  it('gives the two Python debuggers different host ports (the old tool mapped both to 5726)', () => {
    const services = composeDocument(model, settings).services;
    expect(services['health-api'].ports).toContain('127.0.0.1:5726:5678');
    expect(services['scheduler-api'].ports).toContain('127.0.0.1:5727:5678');
  });

  it('never puts build secrets in the file', () => {
    const text = renderCompose(composeDocument(model, settings), 's2');
    expect(text).not.toContain('GITHUB_NPM_TOKEN');
  });

  it('starts with the "generated, do not edit" header naming the namespace', () => {
    const text = renderCompose(composeDocument(model, settings), 's2');
    expect(text.split('\n').slice(0, 4)).toEqual([
      '# generated by local-dev, do not edit — from repos_docker_files/config.yaml for namespace s2.',
      '# Rewritten on every `nx run-many -t up`; change config.yaml instead. Images come from',
      '# LOCAL_DEV_IMAGE_<SERVICE> (set by local-dev to the image of the current input hash).',
      'version: "3.8"',
    ]);
  });

  it("changes a service's definition hash when its entry changes, and only then", () => {
    const before = composeDocument(model, settings).services;
    const moved = parseConfigText(CONFIG.replace('"8000:8000"', '"8001:8000"'), 'config.yaml');
    const after = composeDocument(moved, settings).services;
    expect(after['health-api'].labels['io.local-dev.definition']).not.toBe(before['health-api'].labels['io.local-dev.definition']);
    expect(after['oms-api'].labels['io.local-dev.definition']).toBe(before['oms-api'].labels['io.local-dev.definition']);
  });

  it('escapes $ so compose does not interpolate config values', () => {
    expect(escapeDollars('a$b$$c')).toBe('a$$b$$$$c');
  });

  it('writes a $ in a build arg and in an environment value as $$, so compose passes it on literally', () => {
    const withDollars = parseConfigText(
      'services:\n  api:\n    repo: file:///x/api.git\n    build-args: { NPM_PREFIX: "$HOME/.npm", PLAIN: "1" }\n    environment: { PRICE: "${PRICE:-5}$" }\n',
      'config.yaml',
    );
    const api = composeDocument(withDollars, settings).services.api;
    expect(api.build.args).toEqual({ NPM_PREFIX: '$$HOME/.npm', PLAIN: '1' });
    expect(api.environment.PRICE).toBe('$${PRICE:-5}$$');
    const text = renderCompose(composeDocument(withDollars, settings), 's2');
    expect(text).toContain('NPM_PREFIX: "$$HOME/.npm"');
    expect(text).toContain('PRICE: "$${PRICE:-5}$$"');
  });

  it('formats port mappings as compose expects', () => {
    expect(formatPort({ host: 80, container: 8080, protocol: 'tcp' })).toBe('127.0.0.1:80:8080');
    expect(formatPort({ hostIp: '0.0.0.0', host: 80, container: 8080, protocol: 'udp' })).toBe('0.0.0.0:80:8080/udp');
  });
});

describe('the host address of a published port', () => {
  it('is 127.0.0.1 for a service port config.yaml gives no address, and the address it gives otherwise', () => {
    expect(publishAddress('service')).toBe('127.0.0.1');
    expect(publishAddress('service', '0.0.0.0')).toBe('0.0.0.0');
    expect(publishAddress('service', '192.168.1.20')).toBe('192.168.1.20');
  });

  it('is 127.0.0.1 for a debugger, always (it runs whatever code it is sent)', () => {
    expect(publishAddress('debugger')).toBe('127.0.0.1');
    expect(publishAddress('debugger', '0.0.0.0')).toBe('127.0.0.1');
  });

  it('tells loopback addresses from those other machines reach', () => {
    expect(['127.0.0.1', '127.1.2.3'].map(isLoopback)).toEqual([true, true]);
    expect(['0.0.0.0', '192.168.1.20', '10.127.0.1'].map(isLoopback)).toEqual([false, false, false]);
  });

  it('lists every published port with the address it is bound to, as the file writes it: service ports, then the debugger on loopback', () => {
    const [health, scheduler] = ['health-api', 'scheduler-api'].map((name) => model.services.find((service) => service.name === name) as ServiceModel);
    expect(publishedPorts(health)).toEqual([
      { host: 8000, hostIp: '127.0.0.1', protocol: 'tcp', text: '127.0.0.1:8000:8000' },
      { host: 5726, hostIp: '127.0.0.1', protocol: 'tcp', text: '127.0.0.1:5726:5678' },
    ]);
    expect(publishedPorts(scheduler)).toEqual([
      { host: 8010, hostIp: '0.0.0.0', protocol: 'tcp', text: '0.0.0.0:8010:8010' },
      { host: 9999, hostIp: '127.0.0.1', protocol: 'udp', text: '127.0.0.1:9999:9999/udp' },
      { host: 5727, hostIp: '127.0.0.1', protocol: 'tcp', text: '127.0.0.1:5727:5678' },
    ]);
  });

  it('writes "8000:8000" and "127.0.0.1:8000:8000" as the same entry (spelling out the default recreates no container)', () => {
    const explicit = parseConfigText(CONFIG.replace('"8000:8000"', '"127.0.0.1:8000:8000"'), 'config.yaml');
    expect(composeDocument(explicit, settings).services['health-api']).toEqual(composeDocument(model, settings).services['health-api']);
  });
});

describe('renderCompose', () => {
  it('quotes every string, so compose v1 (YAML 1.1) reads "2222:22" and "yes" as strings', () => {
    const yaml1 = parseConfigText(
      'services:\n  ssh:\n    repo: file:///x/ssh.git\n    ports: ["2222:22"]\n    environment: { FEATURE: "yes" }\n',
      'config.yaml',
    );
    const text = renderCompose(composeDocument(yaml1, settings), 's1');
    expect(text).toContain('- "127.0.0.1:2222:22"');
    expect(text).toContain('FEATURE: "yes"');
    expect(text).toContain('image: "${LOCAL_DEV_IMAGE_SSH:-local-dev/ssh:latest}"');
  });
});
