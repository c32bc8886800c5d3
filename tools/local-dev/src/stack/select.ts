/**
 * Which services a day-to-day command acts on: the ones named (`--services=a,b`, or the Makefile's
 * words), or all of config.yaml's. A misspelt name is refused with the closest real one, before
 * anything is touched.
 */
import type { WorkspaceModel } from '../config/model';
import { didYouMean } from '../core/did-you-mean';
import { UsageError } from '../core/errors';

/** Pure: "a,b c" → ["a", "b", "c"] (commas or spaces, empty parts dropped, duplicates once). */
export function splitServiceList(text: string | undefined): string[] {
  return [...new Set((text ?? '').split(/[\s,]+/).filter(Boolean))];
}

/** The named services in config order, or every service when none is named. */
export function selectServices(model: Pick<WorkspaceModel, 'services'>, named: readonly string[]): string[] {
  const known = model.services.map((service) => service.name);
  const unknown = named.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const hints = unknown.map((name) => {
      const suggestion = didYouMean(name, known);
      return suggestion ? `"${name}": did you mean "${suggestion}"?` : `"${name}"`;
    });
    throw new UsageError(`no service ${unknown.map((name) => `"${name}"`).join(', ')} in repos_docker_files/config.yaml`, {
      fix: `${hints.filter((hint) => hint.includes('did you mean')).join('; ') || `services: ${known.join(', ')}`}`,
    });
  }
  return named.length === 0 ? known : known.filter((name) => named.includes(name));
}
