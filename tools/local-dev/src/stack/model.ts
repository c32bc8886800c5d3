/**
 * The stack model: "what is true right now" for every service of config.yaml and the Redis tunnel,
 * projected purely from the facts ./gather.ts collects. `status`, `stats`, `doctor` and the web
 * dashboard read this one model (as JSON too: `nx run stack:status --json`), so every judgement —
 * is this image stale, and why; did this container crash; did an injected file drift — is made
 * here once.
 */
import type { Healthcheck } from '../config/model';
import type { TunnelReading } from '../tunnel/state';
import { formatTunnelStatus } from '../tunnel/status';
import { containerEnd, type ContainerEnd } from './container-end';
import { liveProblem, liveView, type LiveView } from './live-view';
import type { ContainerFacts } from './docker-facts';
import type { CloneFacts, StackFacts, ServiceFacts } from './facts';
import type { RunProgress } from '../core/run-record';
import { ENGINE_DOWN_FIX, engineDownMessage } from '../docker/cli';

/**
 * One word for where a service stands (the dashboard's colour): no clone yet; cloned but its
 * image for the current inputs is not built; its build-image task running now (progress.json);
 * image built; container starting (or its up task running), running (no Docker healthcheck to say
 * more), healthy, unhealthy; or not running any more, and how that came about (containerEnd):
 * stopped (someone sent it a signal: `docker stop`/`kill`, local-dev itself), exited (its process
 * ended by itself with 0) or crashed (ended by itself otherwise, out of memory, or could not start).
 */
export type ServiceState =
  'not-cloned' | 'cloned' | 'image-building' | 'image-ready' | 'starting' | 'running' | 'healthy' | 'unhealthy' | 'stopped' | 'exited' | 'crashed';

export type ProblemKind =
  | 'not-a-clone'
  | 'clone-unreadable'
  | 'wrong-branch'
  | 'dirty'
  | 'unpushed'
  | 'behind'
  | 'drift'
  | 'namespace'
  | 'image-unknown'
  | 'stale-image'
  | 'stale-definition'
  | 'crashed'
  | 'stopped'
  | 'exited'
  | 'unhealthy'
  | 'not-running'
  | 'engine'
  | 'tunnel'
  | 'live';

/** error: it is broken; warning: it may not be what you think; info: worth knowing. */
export type Severity = 'error' | 'warning' | 'info';

export interface Problem {
  kind: ProblemKind;
  severity: Severity;
  message: string;
  fix?: string;
}

export interface ContainerView {
  /** 12 hex digits, as docker ps shows it. */
  id: string;
  name: string;
  status: string;
  health: string | undefined;
  exitCode: number;
  restarts: number;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  image: string;
  /** Runs the image the current inputs call for, with the current compose definition, and holds no synced files. */
  current: boolean;
  /** How it came to stop, when it is not running (undefined while it runs or starts). */
  end: ContainerEnd | undefined;
}

export interface PortView {
  host: number;
  container: number;
  protocol: 'tcp' | 'udp';
  hostIp: string | undefined;
}

export interface ServiceView {
  name: string;
  kind: 'service' | 'worker';
  owner: string;
  state: ServiceState;
  repo: {
    dir: string;
    state: CloneFacts['state'];
    /** The branch checked out (undefined: detached or not cloned). */
    branch: string | undefined;
    /** The branch config.yaml asks for (undefined: the remote's default). */
    wantedBranch: string | undefined;
    head: string | undefined;
    ahead: number | undefined;
    behind: number | undefined;
    dirty: boolean;
    changedFiles: number;
  };
  injection: { namespace: string | undefined; files: number; drifted: { dest: string; how: 'edited' | 'missing' }[] };
  image: { wanted: string | undefined; exists: boolean; recorded: string | undefined };
  container: ContainerView | undefined;
  ports: PortView[];
  debugPort: { host: number; container: number } | undefined;
  healthcheck: Healthcheck['type'];
  /** Files the dev target synced into the container, and whether dev watches (./live-view.ts); null: the container is its image. */
  live: LiveView | null;
  problems: Problem[];
}

export interface TunnelView {
  condition: TunnelReading['condition'];
  /** The supervisor's own word (healthy, degraded …), when one ran. */
  status: string | undefined;
  namespace: string | undefined;
  port: number | undefined;
  restarts: number | undefined;
  lastCheckAt: string | undefined;
  healthy: boolean;
  /** What `nx run redis-tunnel:status` prints, line by line. */
  lines: string[];
  problems: Problem[];
}

export interface StackModel {
  generatedAt: string;
  workspace: { root: string; id: string; composeProject: string };
  namespace: string;
  engine: { reachable: boolean; error: string | undefined };
  network: { name: string; exists: boolean | undefined };
  services: ServiceView[];
  /** Containers of this workspace for services no longer in config.yaml. */
  orphans: { id: string; name: string; service: string; status: string }[];
  tunnel: TunnelView;
  /** The current or last run (logs/progress.json), as written. */
  run: RunProgress | undefined;
  /** Every service's and the tunnel's problems, plus the engine's: what `status` lists under its table. */
  problems: (Problem & { subject: string })[];
}

const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'info'];

/** The container that speaks for the service: a running one first, else the newest. */
export function mainContainer(containers: readonly ContainerFacts[]): ContainerFacts | undefined {
  return containers.find((container) => container.status === 'running') ?? containers[0];
}

function serviceState(facts: ServiceFacts, container: ContainerFacts | undefined, running: ReadonlySet<string>): ServiceState {
  const name = facts.service.name;
  if (running.has(`${name}:build-image`)) return 'image-building';
  if (running.has(`${name}:up`) && container?.status !== 'running') return 'starting';
  if (container) {
    if (container.status === 'running' || container.status === 'paused') {
      if (container.health === 'healthy') return 'healthy';
      if (container.health === 'unhealthy') return 'unhealthy';
      if (container.health === 'starting') return 'starting';
      return 'running';
    }
    const end = containerEnd(container, facts.lock);
    if (end) return end.how;
    return 'starting';
  }
  if (facts.clone.state !== 'clone') return 'not-cloned';
  return facts.image.wantedExists ? 'image-ready' : 'cloned';
}

function cloneProblems(facts: ServiceFacts, namespace: string): Problem[] {
  const { clone, repo, service } = facts;
  const dir = `cloned/${repo.dir}`;
  // A worker shares its owner's clone: its problems are reported once, on the owner.
  if (service.kind === 'worker') return [];
  if (clone.state === 'not-a-clone') {
    return [
      { kind: 'not-a-clone', severity: 'error', message: `${dir} is not a clone: ${clone.why}`, fix: `move it away, then \`nx run ${service.name}:clone\`` },
    ];
  }
  if (clone.state === 'unreadable') return [{ kind: 'clone-unreadable', severity: 'error', message: `git cannot read ${dir}: ${clone.error}` }];
  if (clone.state !== 'clone') return [];
  const problems: Problem[] = [];
  if (repo.branch !== undefined && clone.branch !== repo.branch) {
    problems.push({
      kind: 'wrong-branch',
      severity: 'warning',
      message: `${dir} is on ${clone.branch ?? `a detached HEAD (${clone.head?.slice(0, 7) ?? '?'})`}, config.yaml asks for ${repo.branch}`,
      fix: `the next \`nx run ${service.name}:up\` switches it (your work is kept)`,
    });
  }
  if (clone.changed.length > 0) {
    const shown = clone.changed.slice(0, 3).join(', ') + (clone.changed.length > 3 ? ', …' : '');
    problems.push({ kind: 'dirty', severity: 'info', message: `${dir} has ${plural(clone.changed.length, 'uncommitted or untracked file')} (${shown})` });
  }
  if (clone.aheadBehind && clone.aheadBehind.ahead > 0) {
    problems.push({
      kind: 'unpushed',
      severity: 'info',
      message: `${dir} has ${plural(clone.aheadBehind.ahead, 'commit')} not pushed to ${clone.upstream ?? 'its upstream'}`,
    });
  }
  if (clone.aheadBehind && clone.aheadBehind.behind > 0) {
    problems.push({
      kind: 'behind',
      severity: 'info',
      message: `${dir} is ${plural(clone.aheadBehind.behind, 'commit')} behind ${clone.upstream ?? 'its upstream'} (as of the last fetch)`,
      fix: `\`nx run ${service.name}:up --refresh\` brings it up to date (saving local work first)`,
    });
  }
  const injection = clone.injection;
  const drifted = injection?.files.filter((file) => file.drift !== 'none') ?? [];
  if (drifted.length > 0) {
    problems.push({
      kind: 'drift',
      severity: 'warning',
      message: `injected ${drifted.length === 1 ? 'file' : 'files'} changed since inject-config wrote them: ${drifted.map((file) => `${file.dest} (${file.drift})`).join(', ')}`,
      fix: `\`nx run ${service.name}:inject-config --namespace=${injection?.namespace ?? namespace}\` writes them again`,
    });
  }
  if (injection && injection.namespace !== namespace) {
    problems.push({
      kind: 'namespace',
      severity: 'warning',
      message: `${dir} holds ${injection.namespace}'s config, not ${namespace}'s`,
      fix: `\`nx run ${service.name}:up --namespace=${namespace}\` injects ${namespace}'s`,
    });
  }
  return problems;
}

/** Why the running image is not the one the inputs call for, as precisely as the facts allow. */
export function staleImageReason(facts: ServiceFacts, running: string, namespace: string): string {
  const { image, clone } = facts;
  const injected = clone.state === 'clone' ? clone.injection?.namespace : undefined;
  if (injected !== undefined && injected !== namespace) {
    return `it runs ${running}, built for namespace ${injected}; for ${namespace} the inputs make ${image.wanted ?? 'another image'}`;
  }
  if (image.recorded === image.wanted && image.wanted !== undefined) {
    return `${image.wanted} is built but the container still runs ${running}`;
  }
  const hints: string[] = [];
  if (clone.state === 'clone') {
    if (clone.changed.length > 0) hints.push(`${plural(clone.changed.length, 'uncommitted or untracked file')} in cloned/${facts.repo.dir}`);
    const drifted = clone.injection?.files.filter((file) => file.drift !== 'none').length ?? 0;
    if (drifted > 0) hints.push(`${plural(drifted, 'injected file')} changed`);
  }
  const since = image.recorded === running ? 'since its image was built' : 'since it was started';
  const detail = hints.length > 0 ? hints.join(', ') : 'new commits, or a changed Dockerfile, build arg, namespace or secret file';
  return `its code or config changed ${since} (${detail}): it runs ${running}, the current inputs make ${image.wanted ?? 'an image not built yet'}`;
}

function containerProblems(facts: ServiceFacts, container: ContainerFacts | undefined, namespace: string): Problem[] {
  const name = facts.service.name;
  const otherNamespace = facts.clone.state === 'clone' && facts.clone.injection !== undefined && facts.clone.injection.namespace !== namespace;
  const up = `\`nx run ${name}:up${otherNamespace ? ` --namespace=${namespace}` : ''}\``;
  if (!container) {
    // Before the first clone, the one hint under the table says how to start; no line per service.
    return facts.clone.state === 'clone' ? [{ kind: 'not-running', severity: 'info', message: 'not started', fix: up }] : [];
  }
  const problems: Problem[] = [];
  const end = containerEnd(container, facts.lock);
  if (end) {
    // Only a crash is broken; a stop was meant by whoever sent the signal, an exit by the program.
    problems.push({
      kind: end.how,
      severity: end.how === 'crashed' ? 'error' : 'warning',
      message: `container ${end.summary}${end.at ? ` at ${end.at}` : ''}`,
      fix: end.how === 'stopped' ? `${up}, or \`nx run stack:restart --services=${name}\`` : `\`nx run ${name}:logs\` says why; then ${up}`,
    });
  }
  if (container.health === 'unhealthy')
    problems.push({ kind: 'unhealthy', severity: 'error', message: 'Docker reports the container unhealthy', fix: `\`nx run ${name}:logs\`` });
  const { wanted } = facts.image;
  const live = liveProblem(name, liveView(facts.live));
  // A container holding synced files differs from every image: the live line says so, and how to get back to one.
  if (live) problems.push(live);
  if (facts.image.wantedError) {
    problems.push({ kind: 'image-unknown', severity: 'warning', message: `cannot tell which image its inputs call for: ${facts.image.wantedError}` });
  } else if (wanted !== undefined && container.image !== wanted && !live) {
    problems.push({
      kind: 'stale-image',
      severity: 'warning',
      message: `stale image: ${staleImageReason(facts, container.image, namespace)}`,
      fix: `${up} rebuilds and restarts it`,
    });
  }
  // Compared against another namespace, every definition differs (LOCAL_DEV_NAMESPACE): the namespace problem says it once.
  if (facts.definition !== '' && container.definition !== facts.definition && !otherNamespace) {
    problems.push({
      kind: 'stale-definition',
      severity: 'warning',
      message: 'its docker-compose.yml entry changed since it was started (ports, environment or other settings in config.yaml)',
      fix: `${up} recreates it`,
    });
  }
  return problems;
}

function viewContainer(facts: ServiceFacts, container: ContainerFacts): ContainerView {
  return {
    id: container.id.slice(0, 12),
    name: container.name,
    status: container.status,
    health: container.health,
    exitCode: container.exitCode,
    restarts: container.restartCount,
    startedAt: container.startedAt,
    finishedAt: container.finishedAt,
    image: container.image,
    current: container.image === facts.image.wanted && (facts.definition === '' || container.definition === facts.definition) && facts.live.kind !== 'live',
    end: containerEnd(container, facts.lock),
  };
}

/** Pure: the tasks of a run still going on ("svc-0:build-image"). */
export function runningTasks(run: RunProgress | undefined): Set<string> {
  if (run?.state !== 'running') return new Set();
  return new Set(Object.entries(run.tasks).flatMap(([task, progress]) => (progress.state === 'running' ? [task] : [])));
}

export function projectService(facts: ServiceFacts, namespace: string, engineReachable: boolean, running: ReadonlySet<string> = new Set()): ServiceView {
  const { service, repo, clone } = facts;
  const container = mainContainer(facts.containers);
  const cloned = clone.state === 'clone' ? clone : undefined;
  const problems = [...cloneProblems(facts, namespace), ...(engineReachable ? containerProblems(facts, container, namespace) : [])];
  return {
    name: service.name,
    kind: service.kind,
    owner: service.owner,
    state: serviceState(facts, container, running),
    repo: {
      dir: repo.dir,
      state: clone.state,
      branch: cloned?.branch,
      wantedBranch: repo.branch,
      head: cloned?.head,
      ahead: cloned?.aheadBehind?.ahead,
      behind: cloned?.aheadBehind?.behind,
      dirty: (cloned?.changed.length ?? 0) > 0,
      changedFiles: cloned?.changed.length ?? 0,
    },
    injection: {
      namespace: cloned?.injection?.namespace,
      files: cloned?.injection?.files.length ?? 0,
      drifted: (cloned?.injection?.files ?? []).flatMap((file) => (file.drift === 'none' ? [] : [{ dest: file.dest, how: file.drift }])),
    },
    image: { wanted: facts.image.wanted, exists: facts.image.wantedExists, recorded: facts.image.recorded },
    container: container ? viewContainer(facts, container) : undefined,
    ports: service.ports.map((port) => ({ host: port.host, container: port.container, protocol: port.protocol, hostIp: port.hostIp })),
    debugPort: service.debug ? { host: service.debug.hostPort, container: service.debug.containerPort } : undefined,
    healthcheck: service.healthcheck.type,
    live: liveView(facts.live),
    problems,
  };
}

export function projectTunnel(reading: TunnelReading, now: Date, namespace: string): TunnelView {
  const state = reading.condition === 'absent' ? undefined : reading.state;
  const healthy = reading.condition === 'running' && reading.state.status === 'healthy';
  const lines = formatTunnelStatus(reading, now, namespace).split('\n');
  const problems: Problem[] = [];
  if (reading.condition === 'running' && !healthy) {
    problems.push({
      kind: 'tunnel',
      severity: 'error',
      message: `Redis tunnel ${reading.state.status}${reading.state.lastError ? `: ${reading.state.lastError.message}` : ''}`,
      fix: reading.state.lastError?.fix ?? '`nx run stack:restart` reconnects it',
    });
  } else if (reading.condition === 'stopped' && reading.state.lastError) {
    problems.push({
      kind: 'tunnel',
      severity: 'error',
      message: `Redis tunnel not running: ${reading.state.lastError.message}`,
      fix: reading.state.lastError.fix,
    });
  } else if (reading.condition === 'stale') {
    problems.push({
      kind: 'tunnel',
      severity: 'error',
      message: `Redis tunnel: its supervisor (pid ${reading.state.pid}) is gone`,
      fix: '`nx run redis-tunnel:up` starts a new one',
    });
  } else if (healthy && reading.state.namespace !== namespace) {
    problems.push({
      kind: 'namespace',
      severity: 'warning',
      message: `Redis tunnel serves ${reading.state.namespace}, not ${namespace}`,
      fix: `\`nx run redis-tunnel:up --namespace=${namespace}\``,
    });
  }
  return {
    condition: reading.condition,
    status: state?.status,
    namespace: state?.namespace,
    port: state?.port,
    restarts: state?.restarts,
    lastCheckAt: state?.lastCheckAt,
    healthy,
    lines,
    problems,
  };
}

/** Pure: the facts → the model. */
export function projectStack(facts: StackFacts): StackModel {
  const namespace = facts.namespace.name;
  const running = runningTasks(facts.run);
  const services = facts.services.map((service) => projectService(service, namespace, facts.engine.reachable, running));
  const tunnel = projectTunnel(facts.tunnel, facts.at, namespace);
  const engineProblems: Problem[] = facts.engine.reachable
    ? []
    : [
        {
          kind: 'engine',
          severity: 'error',
          message: engineDownMessage(facts.engine.error),
          fix: ENGINE_DOWN_FIX,
        },
      ];
  const problems = [
    ...engineProblems.map((problem) => ({ ...problem, subject: 'docker' })),
    ...services.flatMap((service) => service.problems.map((problem) => ({ ...problem, subject: service.name }))),
    ...tunnel.problems.map((problem) => ({ ...problem, subject: 'redis-tunnel' })),
  ].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
  return {
    generatedAt: facts.at.toISOString(),
    workspace: facts.workspace,
    namespace,
    engine: { reachable: facts.engine.reachable, error: facts.engine.reachable ? undefined : facts.engine.error },
    network: facts.network,
    services,
    orphans: facts.orphans.map((container) => ({ id: container.id.slice(0, 12), name: container.name, service: container.service, status: container.status })),
    tunnel,
    run: facts.run,
    problems,
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
