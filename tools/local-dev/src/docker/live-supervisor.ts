/**
 * Restarting a live service's program without restarting its container.
 *
 * Why: with `live.restart: true` a sync was followed by `docker restart` (~0.5 s here: stop, then
 * start) before the program itself even began to start. A small supervisor, the container's main
 * process, restarts only the program on SIGHUP: the container, its logs, its host ports (the
 * debugger re-attaches on the same port) and its StartedAt stay as they are.
 *
 * The supervisor is this fixed POSIX sh text (never built from config): it runs the image's own
 * command ("$@") in the background and waits for it. SIGHUP ends the program (TERM, waiting until it
 * is really gone) and runs it again; TERM/INT (`docker stop`, forwarded by docker-init) end it the
 * same way and exit with its status; a program that exits on its own ends the supervisor with its
 * status, so a crash still stops the container as before. Only images whose own command already
 * runs through a shell (sh or bash first) are wrapped: they are known to have /bin/sh. Others keep
 * their command, and the dev target restarts them with `docker restart` (src/live/sync.ts).
 */
import { ChildProcessError, DockerError } from '../core/errors';
import { ENGINE_DOWN_FIX } from './cli';
import { engineMessage, engineRequest, localEngineSocket } from './engine';
import { LABELS } from '../core/naming';
import { cliQuery, inspectContainersJson, QUERY_TIMEOUT_MS } from './queries';

/**
 * POSIX details that shape it: `wait` returns early (> 128) when a trapped signal arrives, so it
 * waits again while the program still exists (kill -0; a zombie counts until reaped); a shell that
 * reaps children itself (bash) has already reaped it, so one more `wait` asks for the status it
 * remembers (127: none left to ask for). Background jobs of a non-interactive sh ignore SIGINT, so
 * the program is always ended with TERM. A signal that comes while no program runs (between two)
 * is acted on as soon as the next one has started. wait's stderr is dropped: dash and busybox
 * print "Terminated" for a program ended by TERM, a line in the logs at every restart.
 */
export const LIVE_SUPERVISOR_SCRIPT = `child=0
restart=0
stopping=0
trap 'restart=1; [ "$child" = 0 ] || kill -TERM "$child" 2>/dev/null' HUP
trap 'stopping=1; [ "$child" = 0 ] || kill -TERM "$child" 2>/dev/null' TERM INT
while :; do
  restart=0
  "$@" &
  child=$!
  if [ "$stopping" = 1 ] || [ "$restart" = 1 ]; then kill -TERM "$child" 2>/dev/null; fi
  status=127
  while kill -0 "$child" 2>/dev/null; do
    wait "$child" 2>/dev/null
    status=$?
  done
  wait "$child" 2>/dev/null
  last=$?
  [ "$last" = 127 ] || status=$last
  child=0
  if [ "$stopping" = 0 ] && [ "$restart" = 1 ]; then continue; fi
  exit "$status"
done
`;

/** The supervisor's $0: what `ps` and `docker top` show for it. */
export const SUPERVISOR_NAME = 'local-dev-live';

/** The shells an image's own command may start with for it to be wrapped (the image then has /bin/sh). */
const SHELLS = new Set(['sh', '/bin/sh', 'bash', '/bin/bash']);

/** An image's own command, as `docker image inspect` says it (Config.Entrypoint and Config.Cmd; null when unset). */
export interface ImageCommand {
  entrypoint: string[] | null;
  cmd: string[] | null;
}

/** Pure: the command the container would run (entrypoint, then cmd) when it runs through a shell; undefined otherwise. */
export function supervisableCommand(image: ImageCommand): string[] | undefined {
  const argv = [...(image.entrypoint ?? []), ...(image.cmd ?? [])];
  return argv.length > 0 && SHELLS.has(argv[0]) ? argv : undefined;
}

/** Pure: `docker run` arguments around the image's name that run `argv` under the supervisor. */
export function supervisorArgs(argv: readonly string[]): { beforeImage: string[]; afterImage: string[] } {
  return { beforeImage: ['--entrypoint', '/bin/sh'], afterImage: ['-c', LIVE_SUPERVISOR_SCRIPT, SUPERVISOR_NAME, ...argv] };
}

/** The image's own entrypoint and command (one inspect). */
export async function imageCommand(image: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<ImageCommand> {
  type Inspected = { Config?: { Entrypoint?: string[] | null; Cmd?: string[] | null } };
  const socket = localEngineSocket();
  let inspected: Inspected | undefined;
  if (socket) {
    const response = await engineRequest<Inspected>(socket, 'GET', `/images/${encodeURIComponent(image)}/json`, timeoutMs);
    if (response.status !== 200) throw new DockerError(`cannot inspect the image ${image}: ${engineMessage(response)}`, { fix: ENGINE_DOWN_FIX });
    inspected = response.body;
  } else {
    try {
      inspected = (JSON.parse(await cliQuery(['image', 'inspect', image], timeoutMs)) as Inspected[])[0];
    } catch (error) {
      if (error instanceof ChildProcessError)
        throw new DockerError(`cannot inspect the image ${image}: ${error.outputTail}`, { fix: ENGINE_DOWN_FIX, cause: error });
      throw error;
    }
  }
  return { entrypoint: inspected?.Config?.Entrypoint ?? null, cmd: inspected?.Config?.Cmd ?? null };
}

/** One process of a container as `docker top -o pid,ppid` lists it (host pids). */
export interface ProcessRow {
  pid: number;
  ppid: number;
}

/**
 * Pure: the pids of the supervisor's program and all it started. `mainPid` is the container's
 * PID 1 (State.Pid); with `init` it is docker-init, whose one child is the supervisor.
 */
export function programProcesses(rows: readonly ProcessRow[], mainPid: number, init: boolean): Set<number> {
  const supervisor = init ? rows.find((row) => row.ppid === mainPid)?.pid : mainPid;
  const found = new Set<number>();
  if (supervisor === undefined) return found;
  let parents = new Set([supervisor]);
  while (parents.size > 0) {
    const children = rows.filter((row) => parents.has(row.ppid) && !found.has(row.pid)).map((row) => row.pid);
    for (const pid of children) found.add(pid);
    parents = new Set(children);
  }
  return found;
}

/** The container's processes (one `docker top`); none when it is gone or not running. */
export async function containerProcesses(containerId: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<ProcessRow[]> {
  const socket = localEngineSocket();
  let table: string[][];
  if (socket) {
    const response = await engineRequest<{ Titles: string[]; Processes: string[][] | null }>(
      socket,
      'GET',
      `/containers/${encodeURIComponent(containerId)}/top?ps_args=${encodeURIComponent('-o pid,ppid')}`,
      timeoutMs,
    );
    // 404: gone; 409/500: not running (the engine says so in its own words).
    if (response.status !== 200) return [];
    table = response.body?.Processes ?? [];
  } else {
    try {
      table = (await cliQuery(['top', containerId, '-o', 'pid,ppid'], timeoutMs))
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/));
    } catch (error) {
      if (error instanceof ChildProcessError) return [];
      throw error;
    }
  }
  return table.filter((row) => row.length >= 2 && /^\d+$/.test(row[0])).map((row) => ({ pid: Number(row[0]), ppid: Number(row[1]) }));
}

/** A running container under the supervisor: the pids of the program it runs now. Undefined: not supervised (or gone). */
export async function supervisedProgram(containerId: string): Promise<Set<number> | undefined> {
  type Inspected = { Config?: { Labels?: Record<string, string> | null }; State?: { Pid?: number }; HostConfig?: { Init?: boolean | null } };
  const [inspected] = (await inspectContainersJson([containerId])) as Inspected[];
  if (inspected?.Config?.Labels?.[LABELS.liveSupervisor] !== '1' || !inspected.State?.Pid) return undefined;
  return programProcesses(await containerProcesses(containerId), inspected.State.Pid, inspected.HostConfig?.Init === true);
}

/** How long a program may take to end on TERM at a restart (docker stop's own grace period). */
const PROGRAM_END_TIMEOUT_MS = 10_000;
const PROGRAM_END_POLL_MS = 20;

/**
 * Waits until none of `program`'s processes is left (after the SIGHUP): only then is a health check
 * answered by the new program, not by the old one about to end.
 */
export async function waitProgramEnded(service: string, containerId: string, program: ReadonlySet<number>): Promise<void> {
  const deadline = Date.now() + PROGRAM_END_TIMEOUT_MS;
  for (;;) {
    const left = (await containerProcesses(containerId)).filter((row) => program.has(row.pid));
    if (left.length === 0) return;
    if (Date.now() >= deadline) {
      throw new DockerError(`${service}: its program did not end within ${PROGRAM_END_TIMEOUT_MS / 1000} s of SIGTERM at the restart`, {
        fix: `make it end on SIGTERM; meanwhile \`docker restart ${containerId.slice(0, 12)}\` (or nx run ${service}:up) starts it afresh`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, PROGRAM_END_POLL_MS));
  }
}
