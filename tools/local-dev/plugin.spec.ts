import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CreateNodesContext } from '@nx/devkit';
import { createNodes } from './plugin';

const CONFIG = 'repos_docker_files/config.yaml';

describe('the plugin’s createNodes', () => {
  let root: string;
  let dataDirectory: string;
  const previousDataDirectory = process.env.NX_WORKSPACE_DATA_DIRECTORY;

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-plugin-'));
    dataDirectory = path.join(root, '.nx', 'workspace-data');
    process.env.NX_WORKSPACE_DATA_DIRECTORY = dataDirectory;
    mkdirSync(path.join(root, 'repos_docker_files'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    if (previousDataDirectory === undefined) delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    else process.env.NX_WORKSPACE_DATA_DIRECTORY = previousDataDirectory;
  });

  const writeConfig = (text: string) => writeFileSync(path.join(root, CONFIG), text);
  const context: () => CreateNodesContext = () => ({ workspaceRoot: root, nxJsonConfiguration: {} });
  const run = async () => {
    const [, createNodesFunction] = createNodes;
    const results = await createNodesFunction([CONFIG], undefined, context());
    return results[0][1].projects ?? {};
  };

  it("infers the projects and writes nothing in the workspace while Nx builds its graph (project folders are the sync generator's)", async () => {
    writeConfig('services:\n  api:\n    repo: a.git\n    workers:\n      api-worker: {}\n');
    const projects = await run();
    expect(Object.values(projects).map((project) => project.name)).toEqual(['api', 'api-worker', 'docker-compose', 'redis-tunnel', 'stack']);
    expect(existsSync(path.join(root, 'services'))).toBe(false);
    expect(readdirSync(root).sort()).toEqual(['.nx', 'repos_docker_files']);
  });

  it('caches the inference on disk by config hash, and recomputes when the config changes', async () => {
    writeConfig('services:\n  api:\n    repo: a.git\n');
    await run();
    const cacheFile = path.join(dataDirectory, 'local-dev-projects.json');
    const first = JSON.parse(readFileSync(cacheFile, 'utf8')) as { key: string };
    writeConfig('services:\n  api:\n    repo: a.git\n  web:\n    repo: w.git\n');
    const projects = await run();
    const second = JSON.parse(readFileSync(cacheFile, 'utf8')) as { key: string };
    expect(second.key).not.toBe(first.key);
    expect(Object.values(projects).map((project) => project.name)).toContain('web');
  });

  it('turns a broken config into a plain message listing every problem, without a stack trace', async () => {
    writeConfig('services:\n  api:\n    repo: a.git\n    dependson: [web]\n    ports: ["80:80"]\n  web:\n    repo: w.git\n    ports: ["80:81"]\n');
    const error = await run().then(
      () => undefined,
      (caught: Error) => caught,
    );
    expect(error?.message).toBe(
      [
        `local-dev could not read ${CONFIG}.`,
        `2 problems in ${CONFIG}:`,
        `  ${CONFIG}:4: unknown key "dependson" in services.api`,
        '    fix: did you mean "depends-on"?',
        `  ${CONFIG}:8: host port 80 of web is already published by api`,
        '    fix: publish web on another host port, e.g. "81:81"',
      ].join('\n'),
    );
    expect(error?.stack).toBe(error?.message);
  });
});
