/**
 * "Port 8000 is taken — by whom?" Answers it from /proc (through ./proc.ts; no lsof or ss
 * needed), so local-dev can say which process holds a port instead of failing with EADDRINUSE.
 */
import * as net from 'node:net';
import { listeningSocketInodes, liveCommandLine, socketOwnerPid } from './proc';

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

/**
 * The process listening on TCP `port`, or undefined when none is visible (free port, another
 * user's process we may not inspect, or not Linux).
 */
export function findPortHolder(port: number): PortHolder | undefined {
  const pid = socketOwnerPid(listeningSocketInodes(port));
  if (pid === undefined) return undefined;
  const command = liveCommandLine(pid);
  // Gone already, or not ours to read: the pid alone still helps the user.
  return { pid, command: command === undefined ? '(exited)' : command || '(command line unreadable)' };
}

export function describeHolder(holder: PortHolder | undefined): string {
  return holder ? `pid ${holder.pid} (${holder.command})` : 'a process local-dev cannot see (another user, or a container)';
}
