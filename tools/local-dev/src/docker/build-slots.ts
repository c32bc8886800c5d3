/**
 * At most a few image builds at once in a workspace, whatever Nx's --parallel.
 *
 * Why: most of an `up` run's tasks only wait (on git, on the engine, on a healthcheck), so Nx runs
 * them wide (nx.json "parallel"); image builds are the exception — each can keep a core busy for
 * minutes, and on a 2-core laptop more than two at once only make every one slower. A build takes
 * one of BUILD_SLOTS slot locks (core/lock.ts: pid and start time recorded, so a killed build never
 * keeps its slot) and waits, saying for whom, while all are taken. Builds of other workspaces on
 * the same engine are not counted.
 */
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { acquireLock, describeHolder, readLockHolder, releaseLock, type HeldLock } from '../core/lock';
import type { WorkspacePaths } from '../core/workspace';

/** One build per core, and at least two (a build often waits on the network or the disk). */
export const BUILD_SLOTS = Math.max(2, availableParallelism());
/** Longest a build waits for a slot (other builds of the run take minutes at worst). */
const SLOT_WAIT_MS = 30 * 60_000;
const POLL_MS = 250;
const REPORT_EVERY_MS = 10_000;

class SlotTaken extends Error {}

export function buildSlotPath(paths: WorkspacePaths, slot: number): string {
  return path.join(paths.logs, 'locks', `build-slot-${slot}.lock`);
}

/** Runs `build` holding one of the workspace's build slots. */
export async function withBuildSlot<T>(
  paths: WorkspacePaths,
  purpose: string,
  log: (line: string) => void,
  build: () => Promise<T>,
  slots = BUILD_SLOTS,
): Promise<T> {
  const startedAt = Date.now();
  let lastSaidAt = -Infinity;
  for (;;) {
    const held = await tryAnySlot(paths, purpose, log, slots);
    if (held) {
      try {
        return await build();
      } finally {
        releaseLock(held);
      }
    }
    const now = Date.now();
    if (now - startedAt >= SLOT_WAIT_MS) {
      throw new UsageError(`${purpose}: all ${slots} build slots still taken after ${Math.round((now - startedAt) / 1000)} s`, {
        fix: `let the other builds finish, or stop them; a slot left by a command that has ended is taken over automatically (${path.dirname(buildSlotPath(paths, 0))})`,
      });
    }
    if (now - lastSaidAt >= REPORT_EVERY_MS) {
      const holders = Array.from({ length: slots }, (_, slot) => readLockHolder(buildSlotPath(paths, slot)))
        .filter((holder) => holder !== undefined)
        .map((holder) => describeHolder(holder, now));
      log(`waiting for a build slot (${slots} builds at once): ${holders.join('; ')}`);
      lastSaidAt = now;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function tryAnySlot(paths: WorkspacePaths, purpose: string, log: (line: string) => void, slots: number): Promise<HeldLock | undefined> {
  for (let slot = 0; slot < slots; slot++) {
    try {
      // timeoutMs 0: take the slot if free (or left by a dead command), else move on to the next.
      return await acquireLock(buildSlotPath(paths, slot), {
        subject: `build slot ${slot + 1} of ${slots}`,
        purpose,
        log: (line) => {
          if (line.startsWith('took over')) log(line);
        },
        timeoutMs: 0,
        timeoutError: () => new SlotTaken(),
      });
    } catch (error) {
      if (!(error instanceof SlotTaken)) throw error;
    }
  }
  return undefined;
}
