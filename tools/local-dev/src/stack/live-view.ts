/**
 * What the stack model says of a service's live state (src/live/state.ts: did the dev target sync
 * files into its container, and does dev still watch): the `live` field of `status --json` and the
 * dashboard, and the line `status` lists. Pure; ./model.ts asks it, so every view says the same.
 */
import { describeLive, type LiveState } from '../live/state';
import type { Problem } from './model';

/** `live` of a service in the model (and `status --json`): null while its container is its image and no dev watches it. */
export interface LiveView {
  /** Files synced into the running container since it was created (0: dev watches, nothing synced yet). */
  files: number;
  /** ISO time of the last sync; null before the first. */
  lastAt: string | null;
  /** Whether a dev process watches the service now (false: dev stopped, the container stays as it was left). */
  watching: boolean;
}

export function liveView(state: LiveState): LiveView | null {
  if (state.kind === 'image') return null;
  if (state.kind === 'watching') return { files: 0, lastAt: null, watching: true };
  return { files: state.files, lastAt: state.lastAt, watching: state.watching };
}

/** Back from the view to the state describeLive reads (the view keeps all it needs). */
function stateOf(view: LiveView): LiveState {
  if (view.lastAt === null || view.files === 0) return { kind: 'watching' };
  return { kind: 'live', files: view.files, lastAt: view.lastAt, lastSummary: '', watching: view.watching };
}

/** "14:02:11": the local time of day of an ISO time, as a clock shows it. */
export function clockTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '?';
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

/** "live: image + 3 files synced, last at 14:02:11 (dev watching)", or undefined while the container is its image. */
export function liveLine(view: LiveView | null): string | undefined {
  return view === null ? undefined : describeLive(stateOf(view), clockTime);
}

/**
 * The line `status` lists for a container that holds synced files: worth knowing (it is not its
 * image, so `up` replaces it), not broken. A dev watching with nothing synced yet is no problem:
 * the container is still its image.
 */
export function liveProblem(service: string, view: LiveView | null): Problem | undefined {
  if (view === null || view.files === 0) return undefined;
  return {
    kind: 'live',
    severity: 'info',
    message: liveLine(view) as string,
    fix: `\`nx run ${service}:up\` replaces it with a container of the clone as it is now`,
  };
}
