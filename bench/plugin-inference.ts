/**
 * How fast the plugin infers projects as the catalog grows (target: createNodes under 100 ms for
 * 60 services), and what `nx show projects` costs end to end.
 *
 *   node -r @swc-node/register bench/plugin-inference.ts [services=60] [rounds=20]
 *
 * Prints figures; never fails on them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfigText } from '../tools/local-dev/src/config/load';
import { inferProjects } from '../tools/local-dev/src/plugin/infer';
import { createTempWorkspace, initWorkspace } from '../tools/local-dev/e2e/support/temp-workspace';

const serviceCount = Number(process.argv[2] ?? 60);
const rounds = Number(process.argv[3] ?? 20);

/** A catalog of `count` services: every third one a worker of the service before it, chains of depends-on. */
export function generatedCatalog(count: number): string {
  const lines = ['network: bench-network', 'default-namespace: s1', 'services:'];
  let port = 20000;
  for (let index = 0; index < count; index++) {
    if (index % 3 === 2) continue; // emitted as a worker below
    const name = `svc-${index}`;
    lines.push(
      `  ${name}:`,
      `    repo: git@example.com:company/${name}.git`,
      `    ports: ["${port++}:8000"]`,
      `    debug-port: 5678`,
      `    healthcheck: { http: /health }`,
      `    configs:`,
      `      - { source: configs/${name}.env, dest: .env, required: true }`,
    );
    if (index > 0 && index % 3 === 0) lines.push(`    depends-on: [svc-${index - 3}]`);
    if (index + 2 < count) {
      lines.push(`    workers:`, `      svc-${index + 2}-worker: { dockerfile: svc-${index + 2}.dev.Dockerfile }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** createNodes in fresh processes: cold (no disk cache) and warm (disk cache from an earlier run). */
function timeCreateNodesInFreshProcess(root: string, dataDirectory: string): number {
  const script = `
    const { performance } = require('node:perf_hooks');
    const start = performance.now();
    const { createNodes } = require(${JSON.stringify(path.resolve(__dirname, '../tools/local-dev/plugin.ts'))});
    Promise.resolve(createNodes[1](['repos_docker_files/config.yaml'], undefined, { workspaceRoot: ${JSON.stringify(root)}, nxJsonConfiguration: {} }))
      .then((result) => { const count = Object.keys(result[0][1].projects).length; process.stdout.write(JSON.stringify({ ms: performance.now() - start, count })); });
  `;
  const output = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
    env: { ...process.env, NX_WORKSPACE_DATA_DIRECTORY: dataDirectory },
    cwd: path.resolve(__dirname, '..'),
  });
  return (JSON.parse(output.toString()) as { ms: number }).ms;
}

async function main(): Promise<void> {
  const workspace = createTempWorkspace({ config: generatedCatalog(serviceCount), name: 'bench-plugin' });
  try {
    await initWorkspace(workspace);
    const cold: number[] = [];
    const warm: number[] = [];
    for (let round = 0; round < Math.max(3, Math.floor(rounds / 4)); round++) {
      const dataDirectory = mkdtempSync(path.join(os.tmpdir(), 'local-dev-bench-data-'));
      cold.push(timeCreateNodesInFreshProcess(workspace.root, dataDirectory));
      warm.push(timeCreateNodesInFreshProcess(workspace.root, dataDirectory));
      rmSync(dataDirectory, { recursive: true, force: true });
    }
    // Parse + validate + infer in this process, modules already loaded: a new config text each round
    // (a trailing comment) so the content-hash cache never answers.
    const catalog = generatedCatalog(serviceCount);
    const compute: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      inferProjects(parseConfigText(`${catalog}# round ${round}\n`, 'config.yaml'));
      compute.push(performance.now() - start);
    }
    const showProjects: number[] = [];
    for (let round = 0; round < Math.max(3, Math.floor(rounds / 4)); round++) {
      const start = performance.now();
      const result = await workspace.nx(['show', 'projects']);
      if (result.code !== 0) throw new Error(result.output);
      showProjects.push(performance.now() - start);
    }
    console.log(`catalog: ${serviceCount} services (projects incl. shared: ${serviceCount + 2})`);
    console.log(`parse + validate + infer, modules loaded, no cache: median ${median(compute).toFixed(1)} ms`);
    console.log(`createNodes, fresh process, no cache (parse + validate + infer, incl. loading yaml/zod): median ${median(cold).toFixed(1)} ms`);
    console.log(`createNodes, fresh process, disk cache hit: median ${median(warm).toFixed(1)} ms`);
    console.log(`nx show projects (no daemon, whole CLI): median ${median(showProjects).toFixed(0)} ms`);
  } finally {
    workspace.remove();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
