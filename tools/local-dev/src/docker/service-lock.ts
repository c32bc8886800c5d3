/**
 * One command at a time on a service's container. Two `nx run-many -t up` in one workspace (two
 * terminals, a script, the dashboard's restart button) would otherwise both see "not running" and
 * both run `compose up`, and the second fails with "container name … is already in use"; a `down`
 * during an `up` would remove a container the `up` is still waiting on.
 *
 * `up` holds the lock from "is it running as built?" until it reports the service healthy, `down`
 * while it removes the container. So a second `up` waits, then finds the service running the right
 * image and only checks its health; a `down` during an `up` waits, then stops it: the later
 * command's state is what remains. The lock (core/lock.ts) records pid and start time, so a
 * command killed half way (Ctrl-C, kill -9, a closed terminal) leaves nothing that blocks the next.
 *
 * Lock files live in logs/locks/ (gitignored, like all of logs/), one per service, and exist only
 * while a command works on that service.
 */
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { withLockIfWritable } from '../core/lock';
import type { WorkspacePaths } from '../core/workspace';

export function serviceLockPath(paths: WorkspacePaths, service: string): string {
  return path.join(paths.logs, 'locks', `${service}.lock`);
}

/**
 * Runs `body` holding `service`'s lock; `purpose` ("up svc-0") is what a waiting command is told.
 * `unwritable`: only for work that frees things (core/lock.ts withLockIfWritable).
 */
export function withServiceLock<T>(
  paths: WorkspacePaths,
  service: string,
  purpose: string,
  log: (line: string) => void,
  body: () => Promise<T>,
  unwritable?: (problem: string) => void,
): Promise<T> {
  return withLockIfWritable(
    serviceLockPath(paths, service),
    {
      subject: `${service}'s container`,
      purpose,
      log: (line) => log(`${service}: ${line}`),
      timeoutError: (message, fix) => new UsageError(`${service}: ${message}`, { fix }),
    },
    body,
    unwritable,
  );
}

/**
 * Creating the shared network, one command of this workspace at a time: Docker does not make
 * "create if missing" atomic by name, and two creates at the same moment make two networks of
 * the same name, which compose then refuses as ambiguous (see ensureNetwork for runs of other
 * workspaces, which this lock cannot see).
 */
export function withNetworkLock<T>(
  paths: WorkspacePaths,
  network: string,
  log: (line: string) => void,
  body: () => Promise<T>,
  unwritable?: (problem: string) => void,
): Promise<T> {
  return withLockIfWritable(
    path.join(paths.logs, 'locks', `network-${network}.lock`),
    {
      subject: `the network ${network}`,
      purpose: `create network ${network}`,
      log,
      timeoutError: (message, fix) => new UsageError(`network ${network}: ${message}`, { fix }),
      timeoutMs: 60_000,
    },
    body,
    unwritable,
  );
}
