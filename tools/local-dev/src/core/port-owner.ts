/**
 * "Port 8000 is taken — by whom?" so local-dev can say which process holds a port instead of
 * failing with EADDRINUSE. Linux answers from /proc (through ./proc.ts; no lsof or ss needed);
 * macOS has no /proc, so there `lsof` (part of macOS) names the listener. It sees only this
 * user's processes unless run as root: another user's listener stays unnamed.
 */
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { listeningSocketInodes, liveCommandLine, socketOwnerPid } from './proc';

/** lsof answers in well under a second; one that takes this long is hung: the holder is then unknown. */
const LSOF_TIMEOUT_MS = 5000;

export interface PortHolder {
  pid: number;
  /** The process's command line, space-joined. */
  command: string;
}

/** True when nothing listens on host:port (tries to listen there and closes at once). */
export function isPortFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Pure: the pids in `lsof -F p` output (one "p<pid>" line per process). */
export function parseLsofPids(output: string): number[] {
  return output
    .split('\n')
    .filter((line) => /^p\d+$/.test(line))
    .map((line) => Number(line.slice(1)));
}

/** macOS: the first process `lsof` shows listening on TCP `port`. */
function listenerPidFromLsof(port: number): number | undefined {
  const result = spawnSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fp'], { encoding: 'utf8', timeout: LSOF_TIMEOUT_MS });
  // lsof exits 1 when nothing matches; not installed or hung: nobody we can name.
  if (result.error || result.status === null) return undefined;
  return parseLsofPids(result.stdout)[0];
}

/**
 * The process listening on TCP `port`, or undefined when none is visible (free port, another
 * user's process we may not inspect, or a platform local-dev cannot ask).
 */
export function findPortHolder(port: number, platform: NodeJS.Platform = process.platform): PortHolder | undefined {
  const pid = platform === 'linux' ? socketOwnerPid(listeningSocketInodes(port)) : platform === 'darwin' ? listenerPidFromLsof(port) : undefined;
  if (pid === undefined) return undefined;
  const command = liveCommandLine(pid, '', platform);
  // Gone already, or not ours to read: the pid alone still helps the user.
  return { pid, command: command === undefined ? '(exited)' : command || '(command line unreadable)' };
}

export function describeHolder(holder: PortHolder | undefined): string {
  return holder ? `pid ${holder.pid} (${holder.command})` : 'a process local-dev cannot see (another user, or a container)';
}
