#!/usr/bin/env node
/**
 * Nx runtime input of `redis-tunnel:up`: prints one line that stays the same while our tunnel
 * supervisor runs and has proved traffic works recently, and that never repeats otherwise.
 *
 * So a no-op `nx run-many -t up` finds redis-tunnel:up in the cache (no process at all) exactly
 * when there is nothing for it to do, and any other tunnel state (absent, stopped, could not
 * start, crashed, starting, degraded, a PING older than its bound, another namespace, a restarted
 * kubectl) misses the cache and runs the task. That matters more since tunnel-up is best effort:
 * it succeeds on a tunnel that is not healthy, and such a success must never stand in for a
 * healthy tunnel on a later run.
 *
 * Plain JavaScript with no imports from src/: it must cost a bare `node` start (~40 ms), not a
 * TypeScript load. It reads the state file that src/tunnel/state.ts writes and applies the same two
 * checks as readTunnelState (supervisor alive, healthy PING not older than staleAfterMs); keep them
 * in step (tools/local-dev/bin/tunnel-state.spec.ts runs both on the same states).
 *
 * usage: node tools/local-dev/bin/tunnel-state.js [workspace root, default: cwd]
 */
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');

const SUPERVISOR_ENTRY_NAME = 'supervisor-main';
/** 2 × (check interval + PING timeout) in production; only used when the state lacks its own bound. */
const DEFAULT_STALE_AFTER_MS = 6000;

function supervisorAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes(SUPERVISOR_ENTRY_NAME);
  } catch (error) {
    // No /proc (not Linux): the pid being alive is all we can tell.
    if (error.code === 'ENOENT') return true;
    throw error;
  }
}

/** The line Nx hashes: stable for a healthy, fresh tunnel; unique (so never cached) otherwise. */
function tunnelFingerprint(state, now) {
  const notReady = (why) => `not-ready ${why} ${now}`;
  if (!state) return notReady('absent');
  if (state.status !== 'healthy') return notReady(state.status);
  if (!supervisorAlive(state.pid)) return notReady('supervisor-gone');
  const age = state.lastCheckAt ? now - Date.parse(state.lastCheckAt) : Number.POSITIVE_INFINITY;
  if (!(age <= (state.staleAfterMs ?? DEFAULT_STALE_AFTER_MS))) return notReady('unverified');
  const addresses = Array.isArray(state.addresses) ? state.addresses.join(',') : '';
  // The kubectl too: tunnel-up is best effort, so a run that found the tunnel failing (after Nx
  // had hashed it healthy) succeeds and is cached. Any failure restarts kubectl, so that entry is
  // never replayed for the recovered tunnel: only an unbroken healthy stretch of one kubectl hits.
  // mode: a switch between the kubectl tunnel and a local redis-server must run tunnel-up.
  return `healthy mode=${state.mode ?? 'tunnel'} namespace=${state.namespace} deployment=${state.deployment} port=${state.port} addresses=${addresses} pid=${state.pid} started=${state.startedAt} kubectl=${state.kubectlPid}@${state.kubectlStartedAt}`;
}

function readState(root) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'logs', 'redis-tunnel.json'), 'utf8'));
  } catch (error) {
    // Absent, or torn by hand-editing: either way the task must run and sort it out.
    if (error.code === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

module.exports = { tunnelFingerprint };

if (require.main === module) {
  // Nx hashes the output, not the exit code: a failure must print a line that never repeats, so
  // redis-tunnel:up runs and reports the problem instead of being skipped for good.
  try {
    process.stdout.write(`${tunnelFingerprint(readState(process.argv[2] ?? process.cwd()), Date.now())}\n`);
  } catch (error) {
    process.stdout.write(`not-ready tunnel-state failed ${Date.now()}-${process.pid}: ${error.message}\n`);
  }
}
