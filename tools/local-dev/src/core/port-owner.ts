/**
 * "Port 8000 is taken — by whom?" Answers it on Linux from /proc (no lsof or ss needed), so
 * local-dev can say which process holds a port instead of failing with EADDRINUSE.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as net from 'node:net';

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

/** Socket inodes listening on `port` (TCP, IPv4 and IPv6), from /proc/net/tcp{,6}. */
export function listeningInodes(port: number, procRoot = '/proc'): Set<string> {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${table}`, 'utf8');
    } catch (error) {
      // No IPv6 table on this kernel, or not Linux: nothing listens there as far as we can tell.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ... inode (index 9); st 0A = LISTEN
      if (fields.length < 10 || fields[3] !== '0A') continue;
      if (fields[1].split(':')[1] === portHex) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * The process listening on `port`, or undefined when none is visible (free port, another user's
 * process we may not inspect, or not Linux).
 */
export function findPortHolder(port: number, procRoot = '/proc'): PortHolder | undefined {
  const inodes = listeningInodes(port, procRoot);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${entry}/fd`);
    } catch {
      // The process ended while we looked, or is not ours to inspect: skip it.
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${procRoot}/${entry}/fd/${fd}`);
      } catch {
        // The descriptor closed between listing and reading it.
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return { pid: Number(entry), command: readCommand(procRoot, Number(entry)) };
    }
  }
  return undefined;
}

function readCommand(procRoot: string, pid: number): string {
  try {
    return readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    // Gone already; the pid alone still helps the user.
    return '(exited)';
  }
}

export function describeHolder(holder: PortHolder | undefined): string {
  return holder ? `pid ${holder.pid} (${holder.command})` : 'a process local-dev cannot see (another user, or a container)';
}
