/**
 * inject-config's runtime input: what is injected in every clone now (bin/injection-state.js
 * prints it: every injected file's hash on disk and in the manifest, the exclude block, the
 * namespaces' secret files and debug configs), as an observation for settled tokens
 * (./settled.ts). A clone with nothing injected yet is reported with a time and pid, so it never
 * equals a settled state.
 */
import * as path from 'node:path';
import { settle, type Observation } from './settled';

export const INJECT_KEY = 'inject-config';

interface InjectionStateScript {
  workspaceInjectionState(root: string, dirs: string[]): string[];
}

/** Loaded by path (the compiled tree keeps this file's source __dirname), and only when used. */
function injectionScript(): InjectionStateScript {
  return require(path.join(__dirname, '..', '..', 'bin', 'injection-state.js')) as InjectionStateScript;
}

/** `dirs`: the clone folders under cloned/, one per repo of the config. */
export function observeInjection(root: string, dirs: string[]): Observation {
  return { text: injectionScript().workspaceInjectionState(root, dirs).join('\n'), satisfied: true };
}

/** After inject-config succeeded: records what is injected now under the token it ran with. */
export function settleInjection(root: string, dirs: string[]): void {
  settle(root, INJECT_KEY, observeInjection(root, dirs));
}
