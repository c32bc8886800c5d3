import { parseConfigText } from '../config/load';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { inferProjects } from './infer';

/** The projects without each target's metadata: the wiring snapshots below stay about wiring (metadata has its own tests). */
function wiringOf(projects: ReturnType<typeof inferProjects>): ReturnType<typeof inferProjects> {
  return Object.fromEntries(
    Object.entries(projects).map(([root, project]) => [
      root,
      { ...project, targets: Object.fromEntries(Object.entries(project.targets ?? {}).map(([name, { metadata: _metadata, ...target }]) => [name, target])) },
    ]),
  );
}

const CONFIG = `
services:
  api:
    repo: file:///srv/git/api.git
    ports: ["8000:8000"]
    depends-on: [db-proxy]
    configs:
      - { source: configs/api_secrets.py, dest: app/secrets.py, required: true }
    workers:
      api-worker: { dockerfile: worker.dev.Dockerfile }
  db-proxy:
    repo: file:///srv/git/db-proxy.git
`;

describe('inferProjects', () => {
  const documented = inferProjects(parseConfigText(CONFIG, 'config.yaml'));
  const projects = wiringOf(documented);

  describe('targets that explain themselves (nx show project, Nx Console)', () => {
    it('gives every target of every project a description, technologies and a help command', () => {
      for (const project of Object.values(documented)) {
        for (const [name, target] of Object.entries(project.targets ?? {})) {
          expect({ target: `${project.name}:${name}`, description: typeof target.metadata?.description, help: typeof target.metadata?.help?.command }).toEqual({
            target: `${project.name}:${name}`,
            description: 'string',
            help: 'string',
          });
          expect(target.metadata?.technologies?.length).toBeGreaterThan(0);
        }
      }
    });

    it("describes a target with its executor's words, and a worker's clone as waiting for its owner's", () => {
      expect(documented['services/api'].targets?.up.metadata).toMatchObject({
        description: expect.stringContaining("Start the service's container"),
        technologies: ['docker'],
        help: { command: 'node tools/local-dev/runtime/target-help.js up', example: { options: { namespace: 's2' } } },
        example: 'npx nx run api:up --namespace=s2',
      });
      expect(documented['services/api'].targets?.clone.metadata?.technologies).toEqual(['git']);
      expect(documented['services/api-worker'].targets?.clone.metadata?.description).toMatch(/^Waits for api:clone: a worker shares its owner's clone/);
      expect(documented['services/redis-tunnel'].targets?.up.metadata?.technologies).toEqual(['kubernetes', 'redis']);
    });

    it("groups a service's targets: the run chain, then the day-to-day ones", () => {
      expect(documented['services/api'].metadata?.targetGroups).toEqual({
        'run chain (clone → inject-config → build-image → up)': ['clone', 'inject-config', 'build-image', 'up'],
        'day to day': ['dev', 'down', 'logs'],
      });
    });

    it('never puts config text into the help command nx graph runs through a shell: only a fixed script and our executor name', () => {
      const commands = Object.values(documented).flatMap((project) =>
        Object.values(project.targets ?? {}).map((target) => String(target.metadata?.help?.command)),
      );
      for (const command of commands) expect(command).toMatch(/^node tools\/local-dev\/runtime\/target-help\.js [a-z-]+$/);
      expect(commands.some((command) => command.includes('api'))).toBe(false);
    });

    it("the help command prints the executor's description and its options with their defaults", () => {
      const workspaceRoot = path.resolve(__dirname, '../../../..');
      const text = execFileSync('node', ['tools/local-dev/runtime/target-help.js', 'up'], { cwd: workspaceRoot, encoding: 'utf8' });
      expect(text).toContain("Start the service's container");
      expect(text).toContain('--namespace  string');
      expect(text).toContain('--refresh  boolean (default: false)');
      expect(text).not.toContain('--service');
    });
  });

  it('makes one project per service and worker, plus the shared compose, tunnel and stack projects', () => {
    expect(Object.keys(projects)).toEqual([
      'services/api',
      'services/api-worker',
      'services/db-proxy',
      'services/docker-compose',
      'services/redis-tunnel',
      'services/stack',
    ]);
  });

  it('gives the stack project the day-to-day commands, never cached (each looks at the stack as it is now)', () => {
    expect(projects['services/stack'].targets).toMatchInlineSnapshot(`
{
  "clean": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:clean",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "dashboard": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:dashboard",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "doctor": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:doctor",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "logs": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:logs",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "restart": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:restart",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "stats": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:stats",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "status": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:status",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "stop": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:stop",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
}
`);
  });

  it('gives every service and worker a continuous dev target: up first (params forwarded), never cached', () => {
    const services = Object.values(projects).filter((project) => project.tags?.some((tag) => tag === 'local-dev:service' || tag === 'local-dev:worker'));
    expect(services.map((project) => project.name).sort()).toEqual(['api', 'api-worker', 'db-proxy']);
    for (const project of services) {
      expect(project.targets?.dev).toEqual({
        executor: '@local-dev/nx-plugin:dev',
        options: { service: project.name },
        continuous: true,
        dependsOn: [{ target: 'up', params: 'forward' }],
        cache: false,
        syncGenerators: ['@local-dev/nx-plugin:sync-project-folders'],
      });
    }
  });

  it('chains clone → inject-config → build-image → up, forwarding --namespace, and waits for depends-on', () => {
    expect(projects['services/api']).toMatchInlineSnapshot(`
{
  "implicitDependencies": [
    "db-proxy",
  ],
  "metadata": {
    "description": "api: cloned/api from file:///srv/git/api.git (config: repos_docker_files/config.yaml)",
    "targetGroups": {
      "day to day": [
        "dev",
        "down",
        "logs",
      ],
      "run chain (clone → inject-config → build-image → up)": [
        "clone",
        "inject-config",
        "build-image",
        "up",
      ],
    },
    "technologies": [
      "docker",
    ],
  },
  "name": "api",
  "projectType": "application",
  "root": "services/api",
  "tags": [
    "local-dev:service",
    "repo:api",
  ],
  "targets": {
    "build-image": {
      "cache": true,
      "dependsOn": [
        {
          "params": "forward",
          "target": "inject-config",
        },
      ],
      "executor": "@local-dev/nx-plugin:build-image",
      "inputs": [
        "{workspaceRoot}/repos_docker_files/api.dev.Dockerfile",
        "{workspaceRoot}/repos_docker_files/*/api.dev.Dockerfile",
        "{workspaceRoot}/configs/*/api_secrets.py.example",
        "{workspaceRoot}/configs/*/debug-configs/api/**/*",
        "{workspaceRoot}/repos_docker_files/config.yaml",
        "{workspaceRoot}/tools/local-dev/src/docker/build-record.ts",
        {
          "dependentTasksOutputFiles": "**/.local-dev-hash-after-dependencies",
          "transitive": true,
        },
      ],
      "options": {
        "service": "api",
      },
      "outputs": [
        "{workspaceRoot}/logs/images/api.json",
      ],
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "clone": {
      "cache": false,
      "executor": "@local-dev/nx-plugin:clone",
      "options": {
        "service": "api",
      },
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "dev": {
      "cache": false,
      "continuous": true,
      "dependsOn": [
        {
          "params": "forward",
          "target": "up",
        },
      ],
      "executor": "@local-dev/nx-plugin:dev",
      "options": {
        "service": "api",
      },
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "down": {
      "cache": false,
      "executor": "@local-dev/nx-plugin:down",
      "options": {
        "service": "api",
      },
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "inject-config": {
      "cache": true,
      "dependsOn": [
        {
          "params": "forward",
          "target": "clone",
        },
      ],
      "executor": "@local-dev/nx-plugin:inject-config",
      "inputs": [
        "{workspaceRoot}/repos_docker_files/api.dev.Dockerfile",
        "{workspaceRoot}/repos_docker_files/*/api.dev.Dockerfile",
        "{workspaceRoot}/repos_docker_files/worker.dev.Dockerfile",
        "{workspaceRoot}/repos_docker_files/*/worker.dev.Dockerfile",
        "{workspaceRoot}/configs/*/api_secrets.py.example",
        "{workspaceRoot}/configs/*/debug-configs/api/**/*",
        "{workspaceRoot}/repos_docker_files/config.yaml",
        {
          "dependentTasksOutputFiles": "**/.local-dev-hash-after-dependencies",
          "transitive": true,
        },
      ],
      "options": {
        "service": "api",
      },
      "outputs": [],
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "logs": {
      "cache": false,
      "executor": "@local-dev/nx-plugin:logs",
      "options": {
        "service": "api",
      },
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "up": {
      "cache": true,
      "dependsOn": [
        {
          "params": "forward",
          "target": "build-image",
        },
        {
          "dependencies": true,
          "params": "forward",
          "target": "up",
        },
        {
          "params": "forward",
          "projects": [
            "docker-compose",
          ],
          "target": "generate",
        },
        {
          "params": "forward",
          "projects": [
            "redis-tunnel",
          ],
          "target": "up",
        },
      ],
      "executor": "@local-dev/nx-plugin:up",
      "inputs": [
        {
          "dependentTasksOutputFiles": "logs/images/*.json",
          "transitive": false,
        },
        "{workspaceRoot}/repos_docker_files/config.yaml",
        "{workspaceRoot}/tools/local-dev/src/compose/**/*",
        "{workspaceRoot}/tools/local-dev/src/core/naming.ts",
        {
          "dependentTasksOutputFiles": "**/.local-dev-hash-after-dependencies",
          "transitive": true,
        },
      ],
      "options": {
        "service": "api",
      },
      "outputs": [],
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
  },
}
`);
  });

  it('lets a worker reuse its owner’s clone and start after it', () => {
    expect(projects['services/api-worker']).toMatchInlineSnapshot(`
{
  "implicitDependencies": [
    "api",
  ],
  "metadata": {
    "description": "api-worker: worker of api, built from cloned/api (config: repos_docker_files/config.yaml)",
    "targetGroups": {
      "day to day": [
        "dev",
        "down",
        "logs",
      ],
      "run chain (clone → inject-config → build-image → up)": [
        "clone",
        "inject-config",
        "build-image",
        "up",
      ],
    },
    "technologies": [
      "docker",
    ],
  },
  "name": "api-worker",
  "projectType": "application",
  "root": "services/api-worker",
  "tags": [
    "local-dev:worker",
    "repo:api",
  ],
  "targets": {
    "build-image": {
      "cache": true,
      "dependsOn": [
        {
          "params": "forward",
          "target": "inject-config",
        },
      ],
      "executor": "@local-dev/nx-plugin:build-image",
      "inputs": [
        "{workspaceRoot}/repos_docker_files/worker.dev.Dockerfile",
        "{workspaceRoot}/repos_docker_files/*/worker.dev.Dockerfile",
        "{workspaceRoot}/configs/*/api_secrets.py.example",
        "{workspaceRoot}/configs/*/debug-configs/api/**/*",
        "{workspaceRoot}/repos_docker_files/config.yaml",
        "{workspaceRoot}/tools/local-dev/src/docker/build-record.ts",
        {
          "dependentTasksOutputFiles": "**/.local-dev-hash-after-dependencies",
          "transitive": true,
        },
      ],
      "options": {
        "service": "api-worker",
      },
      "outputs": [
        "{workspaceRoot}/logs/images/api-worker.json",
      ],
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "clone": {
      "cache": false,
      "dependsOn": [
        {
          "params": "forward",
          "projects": [
            "api",
          ],
          "target": "clone",
        },
      ],
      "executor": "nx:noop",
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "dev": {
      "cache": false,
      "continuous": true,
      "dependsOn": [
        {
          "params": "forward",
          "target": "up",
        },
      ],
      "executor": "@local-dev/nx-plugin:dev",
      "options": {
        "service": "api-worker",
      },
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "down": {
      "cache": false,
      "executor": "@local-dev/nx-plugin:down",
      "options": {
        "service": "api-worker",
      },
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "inject-config": {
      "cache": false,
      "dependsOn": [
        {
          "params": "forward",
          "projects": [
            "api",
          ],
          "target": "inject-config",
        },
      ],
      "executor": "nx:noop",
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "logs": {
      "cache": false,
      "executor": "@local-dev/nx-plugin:logs",
      "options": {
        "service": "api-worker",
      },
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
    "up": {
      "cache": true,
      "dependsOn": [
        {
          "params": "forward",
          "target": "build-image",
        },
        {
          "dependencies": true,
          "params": "forward",
          "target": "up",
        },
        {
          "params": "forward",
          "projects": [
            "docker-compose",
          ],
          "target": "generate",
        },
        {
          "params": "forward",
          "projects": [
            "redis-tunnel",
          ],
          "target": "up",
        },
      ],
      "executor": "@local-dev/nx-plugin:up",
      "inputs": [
        {
          "dependentTasksOutputFiles": "logs/images/*.json",
          "transitive": false,
        },
        "{workspaceRoot}/repos_docker_files/config.yaml",
        "{workspaceRoot}/tools/local-dev/src/compose/**/*",
        "{workspaceRoot}/tools/local-dev/src/core/naming.ts",
        {
          "dependentTasksOutputFiles": "**/.local-dev-hash-after-dependencies",
          "transitive": true,
        },
      ],
      "options": {
        "service": "api-worker",
      },
      "outputs": [],
      "syncGenerators": [
        "@local-dev/nx-plugin:sync-project-folders",
      ],
    },
  },
}
`);
  });

  it('gives the shared projects their own targets', () => {
    expect(projects['services/redis-tunnel'].targets).toMatchInlineSnapshot(`
{
  "down": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:tunnel-down",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "restart": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:tunnel-restart",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "status": {
    "cache": false,
    "executor": "@local-dev/nx-plugin:tunnel-status",
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
  "up": {
    "cache": true,
    "executor": "@local-dev/nx-plugin:tunnel-up",
    "inputs": [
      "{workspaceRoot}/repos_docker_files/config.yaml",
    ],
    "outputs": [],
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
}
`);
    expect(projects['services/docker-compose'].targets).toMatchInlineSnapshot(`
{
  "generate": {
    "cache": true,
    "executor": "@local-dev/nx-plugin:compose-file",
    "inputs": [
      "{workspaceRoot}/repos_docker_files/config.yaml",
      "{workspaceRoot}/tools/local-dev/src/compose/**/*",
      "{workspaceRoot}/tools/local-dev/src/core/naming.ts",
    ],
    "outputs": [
      "{workspaceRoot}/docker-compose.yml",
    ],
    "syncGenerators": [
      "@local-dev/nx-plugin:sync-project-folders",
    ],
  },
}
`);
  });
});

describe('hashing runs no shell (runtime inputs are commands Nx runs through `sh -c`)', () => {
  it('infers no runtime input, even for config text that slipped past validation: the hashers look instead', () => {
    // Validation refuses these characters at load; inference must not rely on that alone.
    const model = parseConfigText(CONFIG, 'config.yaml');
    const hostile = 'x;touch /tmp/pwned;echo `id` $(id)';
    model.repos[0].configs[0].source = hostile;
    model.repos[0].dir = hostile;
    const inputs = Object.values(inferProjects(model)).flatMap((project) => Object.values(project.targets ?? {}).flatMap((target) => target.inputs ?? []));
    expect(inputs.length).toBeGreaterThan(0);
    expect(inputs.filter((input) => typeof input === 'object' && 'runtime' in input)).toEqual([]);
  });
});

describe('credentials in a repo URL', () => {
  it('never reach the inferred projects (shown by nx show project, stored in Nx’s cache)', () => {
    const token = 'ghp_0123456789abcdefTOKEN';
    const model = parseConfigText(`services:\n  api:\n    repo: https://x-access-token:${token}@github.example/o/api.git\n`, 'config.yaml');
    const projects = inferProjects(model);
    expect(projects['services/api'].metadata?.description).toBe(
      'api: cloned/api from https://x-access-token:***@github.example/o/api.git (config: repos_docker_files/config.yaml)',
    );
    expect(JSON.stringify(projects)).not.toContain(token);
  });
});
