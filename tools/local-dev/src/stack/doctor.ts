/**
 * doctor: every precondition of a run, checked without changing anything, each failed one with
 * its fix — the engine, compose, BuildKit, kubectl and its context, the namespace's folder and
 * required secret files, build secrets (GITHUB_NPM_TOKEN) for the services that need them, host
 * ports (free, or held by this workspace's own containers), ports config.yaml publishes beyond
 * this machine ("0.0.0.0:8000:8000"), git access to each repo, injected files that drifted, and
 * another workspace answering to this one's service names on the shared network, and the team's
 * image registry with the images that cannot be shared (./doctor-registry.ts). Checks are
 * independent: one failing does not hide the others.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { redisModeFor, type ServiceModel, type WorkspaceModel } from '../config/model';
import { isLoopback, LOOPBACK, publishedPorts } from '../compose/document';
import { ChildProcessError, GitError, isLocalDevError } from '../core/errors';
import { exec } from '../core/exec';
import { describeHolder, findPortHolder } from '../core/port-owner';
import { redactCredentials } from '../core/redact';
import type { WorkspacePaths } from '../core/workspace';
import { detectBuildClient, detectCompose } from '../docker/client';
import { missingSecrets } from '../docker/run-secrets';
import { LABELS, workspaceId } from '../core/naming';
import { containerOwners, describeContainer, tryBind, type PublishingContainer } from '../docker/ports';
import { ENV_LOCAL, readEnvLocal } from '../docker/secrets';
import { accessFix } from '../git/classify';
import { git } from '../git/git';
import type { ContainerFacts } from './docker-facts';
import { gatherClone, gatherDocker, mapLimit } from './gather';
import { docker as dockerCli, ENGINE_DOWN_FIX, engineDownMessage } from '../docker/cli';
import { gitRemote } from '../git/remote-url';
import { registryDoctorChecks } from './doctor-registry';

export type CheckResult = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  result: CheckResult;
  detail: string;
  fix?: string;
}

const MARKS: Record<CheckResult, string> = { ok: '✔', warn: '⚠', fail: '✖' };

/** Pure: the checks as printed, and a last line counting them. */
export function formatChecks(checks: readonly Check[]): string {
  const lines = checks.flatMap((check) => [
    `${MARKS[check.result]} ${check.name}: ${check.detail}`,
    ...(check.fix && check.result !== 'ok' ? [`    fix: ${check.fix}`] : []),
  ]);
  const failed = checks.filter((check) => check.result === 'fail').length;
  const warned = checks.filter((check) => check.result === 'warn').length;
  lines.push(
    '',
    failed === 0
      ? `All ${checks.length} checks passed${warned > 0 ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}.`
      : `${failed} of ${checks.length} checks failed.`,
  );
  return `${lines.join('\n')}\n`;
}

/** A check that threw becomes a failed check carrying the message: doctor reports, it never stops half way. */
async function guarded(name: string, body: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const result = await body();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    if (isLocalDevError(error)) return [{ name, result: 'fail', detail: error.message, fix: error.fix }];
    throw error;
  }
}

export interface DoctorRequest {
  paths: WorkspacePaths;
  model: WorkspaceModel;
  namespace: string;
  /** The services the checks are about (their repos, secrets and ports). */
  services: ServiceModel[];
  environment: NodeJS.ProcessEnv;
}

export async function runDoctor(request: DoctorRequest): Promise<Check[]> {
  const docker = await gatherDocker(request.paths.root, request.model.network);
  const groups = await Promise.all([
    guarded('Docker engine', async () =>
      docker.engine.reachable
        ? {
            name: 'Docker engine',
            result: 'ok',
            detail: `answers (${(await dockerCli(['version', '--format', '{{.Server.Version}}'])).stdout.trim()})`,
          }
        : {
            name: 'Docker engine',
            result: 'fail',
            detail: engineDownMessage(docker.engine.error),
            fix: ENGINE_DOWN_FIX,
          },
    ),
    guarded('compose', async () => {
      const compose = await detectCompose();
      return { name: 'compose', result: 'ok', detail: `${compose.v1 ? 'docker-compose (v1)' : 'docker compose (v2)'} ${compose.version}` };
    }),
    guarded('BuildKit', async () => {
      const client = await detectBuildClient();
      return { name: 'BuildKit', result: 'ok', detail: `${client.program} ${client.version} (${client.mode === 'buildx' ? 'buildx' : 'DOCKER_BUILDKIT=1'})` };
    }),
    // Only what this namespace's Redis needs: in local mode no cluster is involved.
    redisModeFor(request.model.redis, request.namespace) === 'local'
      ? guarded('redis-server', () => redisServerChecks())
      : guarded('kubectl', () => kubectlChecks()),
    guarded('namespace', async () => namespaceChecks(request)),
    guarded('build secrets', async () => secretChecks(request)),
    guarded('host ports', () => portChecks(request.services, docker.containers)),
    guarded('published ports', async () => exposureChecks(request.services)),
    guarded('git access', () => gitAccessChecks(request)),
    guarded('injected files', () => driftChecks(request)),
    guarded('shared network', () => sharedNetworkChecks(request)),
    guarded('registry', () => registryDoctorChecks(request)),
  ]);
  return groups.flat();
}

/** One kubectl call answers both: is it installed (not "command not found"), and which context it uses. */
async function kubectlChecks(): Promise<Check[]> {
  try {
    const context = (await exec('kubectl', ['config', 'current-context'], { timeoutMs: 10_000 })).stdout.trim();
    return [{ name: 'kubectl', result: 'ok', detail: `context ${context}` }];
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    if (/command not found/.test(error.outputTail)) {
      return [
        {
          name: 'kubectl',
          result: 'fail',
          detail: 'not installed',
          fix: 'install kubectl (https://kubernetes.io/docs/tasks/tools/): the Redis tunnel needs it',
        },
      ];
    }
    return [
      {
        name: 'kubectl context',
        result: 'fail',
        detail: error.outputTail.split('\n').pop() || 'no current context',
        fix: 'log in to the cluster and pick a context: `kubectl config get-contexts`, then `kubectl config use-context <name>`',
      },
    ];
  }
}

/** redis.mode: local runs a redis-server on this machine: is it installed and runnable? */
async function redisServerChecks(): Promise<Check[]> {
  try {
    const version = (await exec('redis-server', ['--version'], { timeoutMs: 10_000 })).stdout.trim();
    return [{ name: 'redis-server', result: 'ok', detail: `${version.split(' ').slice(0, 3).join(' ')} (redis.mode: local)` }];
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    return [
      {
        name: 'redis-server',
        result: 'fail',
        detail: 'not installed or not runnable (redis.mode: local needs it)',
        fix: 'install it (`apt-get install redis-server`, or `bash scripts/setup-machine.sh`), or set redis.mode: tunnel',
      },
    ];
  }
}

/** Pure but for existsSync: configs/<ns>/ and every required secret file of the chosen services' repos. */
export function namespaceChecks(request: Pick<DoctorRequest, 'paths' | 'model' | 'namespace' | 'services'>): Check[] {
  const folder = path.join(request.paths.configs, request.namespace);
  const owners = new Set(request.services.map((service) => service.owner));
  const required = request.model.repos
    .filter((repo) => owners.has(repo.owner))
    .flatMap((repo) => repo.configs.filter((entry) => entry.required).map((entry) => ({ repo, entry })));
  const missing = required.filter(({ entry }) => !existsSync(path.join(folder, entry.source)));
  const checks: Check[] = [{ name: 'namespace', result: 'ok', detail: `configs/${request.namespace}/ exists` }];
  if (missing.length === 0) {
    checks.push({
      name: 'required secret files',
      result: 'ok',
      detail: required.length === 0 ? 'none required' : `all ${required.length} present in configs/${request.namespace}/`,
    });
  } else {
    checks.push({
      name: 'required secret files',
      result: 'fail',
      detail: `missing in configs/${request.namespace}/: ${missing.map(({ repo, entry }) => `${entry.source} (for ${repo.owner})`).join(', ')}`,
      fix: `create them (from the .example beside each, see configs/README.md)`,
    });
  }
  return checks;
}

export function secretChecks(request: Pick<DoctorRequest, 'paths' | 'services' | 'environment'>): Check[] {
  const needing = request.services.filter((service) => service.buildSecrets.length > 0);
  if (needing.length === 0) return [{ name: 'build secrets', result: 'ok', detail: 'no chosen service needs one' }];
  const missing = missingSecrets(needing, { environment: request.environment, envLocal: readEnvLocal(request.paths.root) });
  if (missing.size === 0) return [{ name: 'build secrets', result: 'ok', detail: `set for ${needing.map((service) => service.name).join(', ')}` }];
  return [...missing].map(([name, services]) => ({
    name: `build secret ${name}`,
    result: 'fail' as const,
    detail: `not set (needed to build ${services.join(', ')})`,
    fix: `export ${name}=… in your shell, or add the line ${name}=… to ${ENV_LOCAL} at the workspace root (gitignored)`,
  }));
}

/** Pure: is this host port published by one of our containers (so it is ours to hold)? */
export function heldByOurs(port: number, containers: readonly ContainerFacts[]): ContainerFacts | undefined {
  return containers.find((container) => container.status === 'running' && container.ports.some((binding) => binding.hostPort === port));
}

async function portChecks(services: readonly ServiceModel[], ours: readonly ContainerFacts[]): Promise<Check[]> {
  const problems: string[] = [];
  let checked = 0;
  for (const service of services) {
    for (const port of publishedPorts(service).filter((candidate) => candidate.protocol === 'tcp')) {
      checked++;
      // Below 1024 the engine binds it with its own privileges; a non-root test bind says nothing.
      if (port.host < 1024 || heldByOurs(port.host, ours)) continue;
      // On the address it will be published on; one this machine does not have cannot be taken here.
      if ((await tryBind(port.host, port.hostIp, 'tcp')) !== 'in-use') continue;
      problems.push(`${port.host} (${service.name}) is taken by ${describeHolder(findPortHolder(port.host))}`);
    }
  }
  if (problems.length === 0) return [{ name: 'host ports', result: 'ok', detail: `${checked} free or held by this workspace's own containers` }];
  return [
    { name: 'host ports', result: 'fail', detail: problems.join('; '), fix: 'stop what holds them, or change the port in repos_docker_files/config.yaml' },
  ];
}

/**
 * Pure: the ports other machines can reach. local-dev publishes on 127.0.0.1 unless config.yaml
 * names an address; one that does ("0.0.0.0:8000:8000") may be meant (a phone testing the app),
 * so it is a warning, not a failure — but on a shared Wi-Fi it is the service, with its secrets,
 * open to everyone there.
 */
export function exposureChecks(services: readonly ServiceModel[]): Check[] {
  const ports = services.flatMap((service) => publishedPorts(service).map((port) => ({ service: service.name, port })));
  const exposed = ports.filter(({ port }) => !isLoopback(port.hostIp));
  if (exposed.length === 0)
    return [{ name: 'published ports', result: 'ok', detail: ports.length === 0 ? 'none' : `all ${ports.length} on ${LOOPBACK} (this machine only)` }];
  const where = (address: string) => (address === '0.0.0.0' ? 'all interfaces' : address);
  return [
    {
      name: 'published ports',
      result: 'warn',
      detail: `reachable from other machines on the network: ${exposed.map(({ service, port }) => `${port.host} of ${service} ("${port.text}", ${where(port.hostIp)})`).join(', ')}`,
      fix: `if no other machine needs them, drop the address in repos_docker_files/config.yaml: "8000:8000" is published on ${LOOPBACK} only`,
    },
  ];
}

async function gitAccessChecks(request: DoctorRequest): Promise<Check[]> {
  const owners = new Set(request.services.map((service) => service.owner));
  const repos = request.model.repos.filter((repo) => owners.has(repo.owner));
  return mapLimit(repos, 4, async (repo): Promise<Check> => {
    const name = `git access ${repo.owner}`;
    const shown = redactCredentials(repo.url);
    try {
      // As a clone asks (git/remote-url.ts): the credentials in git's environment, never on its
      // command line; a password over ssh refused; the URL after `--`, never read as an option.
      const { url, credentials } = gitRemote(repo.url, `cloned/${repo.dir}`);
      const heads = (
        await git(['ls-remote', '--heads', '--', url, ...(repo.branch ? [repo.branch] : [])], { cwd: request.paths.root, timeoutMs: 30_000, credentials })
      ).stdout;
      if (repo.branch && heads.trim() === '')
        return {
          name,
          result: 'fail',
          detail: `${shown} has no branch ${repo.branch}`,
          fix: `fix "branch:" for ${repo.owner} in repos_docker_files/config.yaml`,
        };
      return { name, result: 'ok', detail: `${shown} answers${repo.branch ? ` (branch ${repo.branch})` : ''}` };
    } catch (error) {
      if (error instanceof GitError) return { name, result: 'fail', detail: error.message, fix: error.fix };
      if (!(error instanceof ChildProcessError)) throw error;
      return { name, result: 'fail', detail: `${shown}: ${redactCredentials(error.outputTail.split('\n').pop() ?? '')}`, fix: accessFix(repo.url) };
    }
  });
}

async function driftChecks(request: DoctorRequest): Promise<Check[]> {
  const owners = new Set(request.services.map((service) => service.owner));
  const repos = request.model.repos.filter((repo) => owners.has(repo.owner));
  const drifted: string[] = [];
  for (const repo of repos) {
    const clone = await gatherClone(path.join(request.paths.cloned, repo.dir));
    if (clone.state !== 'clone' || !clone.injection) continue;
    for (const file of clone.injection.files.filter((entry) => entry.drift !== 'none')) drifted.push(`cloned/${repo.dir}/${file.dest} (${file.drift})`);
  }
  if (drifted.length === 0) return [{ name: 'injected files', result: 'ok', detail: 'as inject-config wrote them (or nothing injected yet)' }];
  return [
    {
      name: 'injected files',
      result: 'warn',
      detail: `changed since inject-config wrote them: ${drifted.join(', ')}`,
      fix: `\`nx run-many -t inject-config --namespace=${request.namespace}\` writes them again`,
    },
  ];
}

/** Pure: the containers of other local-dev workspaces that answer to one of `services`' names on the network. */
export function namesSharedWithOtherWorkspaces(
  onNetwork: readonly PublishingContainer[],
  workspace: string,
  services: readonly string[],
): PublishingContainer[] {
  return onNetwork.filter((container) => container.workspace !== '' && container.workspace !== workspace && services.includes(container.service));
}

/**
 * Services reach each other by name on the network, which two checkouts share by default: while
 * another workspace runs a service of the same name there, Docker's DNS answers with both.
 */
async function sharedNetworkChecks(request: DoctorRequest): Promise<Check[]> {
  const network = request.model.network;
  const workspace = workspaceId(request.paths.root);
  const onNetwork = await containerOwners([`network=${network}`, `label=${LABELS.service}`]);
  const shared = namesSharedWithOtherWorkspaces(
    onNetwork,
    workspace,
    request.model.services.map((service) => service.name),
  );
  if (shared.length === 0) return [{ name: 'shared network', result: 'ok', detail: `no other workspace's service answers to this one's names on ${network}` }];
  return [
    {
      name: 'shared network',
      result: 'warn',
      detail: `on ${network}, a request by name may reach the other workspace: ${shared.map((container) => describeContainer(container, workspace)).join('; ')}`,
      fix: 'stop the other stack (`nx run stack:stop` in its folder), or give this checkout a network of its own: "network: <name>" in repos_docker_files/config.yaml',
    },
  ];
}
