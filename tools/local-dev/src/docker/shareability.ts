/**
 * Whether a service's image can leave this laptop: decided from what actually goes into the build
 * context, BEFORE the build (never by promise).
 *
 * An injected secret file (config.yaml `configs:`, from configs/<ns>/) that the build context holds
 * would be in the image's layers after `COPY . /app`. For each such file, when BuildKit builds (it
 * reads `<Dockerfile>.dockerignore`, which local-dev generates as an injected file) and the
 * Dockerfile's simple COPY/WORKDIR lines say where the file lands (./dockerfile-copies.ts), the file
 * is kept out of the context and copied into the container at `up` instead (./secrets-at-up.ts):
 * the image is shareable. Otherwise the image is local-only, with the reason, and never pushed;
 * it is built exactly as before, secrets included, so nothing changes for the user.
 *
 * Two pure steps: `shareability` (what inject-config generates the ignore file from, and where each
 * file goes at up) and `buildVerdict` (the check of the context the build will really send).
 */
import type { Builder } from './build-context';
import { landingPaths } from './dockerfile-copies';

export interface SecretCopy {
  /** Clone-relative path of the injected secret file. */
  file: string;
  /** Absolute paths in the container it is copied to at `up`. */
  to: string[];
}

export type Verdict =
  /** `exclude`: secret files to keep out of the context (the generated ignore file); `copies`: what `up` copies in. */
  { shareable: true; exclude: string[]; copies: SecretCopy[] } | { shareable: false; reason: string };

export interface ShareabilityInput {
  /** The secret files the build context holds under the repo's own .dockerignore (what the image held before). */
  secretsInContext: readonly string[];
  dockerfileText: string;
  buildArgs: Record<string, string>;
  builder: Builder;
  /** Whether the Dockerfile built is the clone's copy (a Dockerfile-specific ignore file next to it is local-dev's to write). */
  dockerfileInClone: boolean;
}

/** Pure: the verdict for one service. */
export function shareability(input: ShareabilityInput): Verdict {
  const files = [...input.secretsInContext].sort();
  if (files.length === 0) return { shareable: true, exclude: [], copies: [] };
  const named = files.join(', ');
  if (input.builder === 'legacy')
    return { shareable: false, reason: `the build context holds ${named} and the legacy builder reads no Dockerfile-specific ignore file` };
  if (!input.dockerfileInClone)
    return { shareable: false, reason: `the build context holds ${named} and the Dockerfile is not inject-config's copy in the clone` };
  const copies: SecretCopy[] = [];
  for (const file of files) {
    const landing = landingPaths(input.dockerfileText, input.buildArgs, file);
    if (landing.at === undefined)
      return { shareable: false, reason: `the build context holds ${file} and the Dockerfile is not simple enough to tell where it lands: ${landing.reason}` };
    if (landing.at.length > 0) copies.push({ file, to: landing.at });
  }
  return { shareable: true, exclude: files, copies };
}

/** Pure: a path as an ignore-file pattern matching exactly it (anchored, special characters escaped). */
export function exactPattern(file: string): string {
  return `/${file.replace(/[\\*?[\]!#]/g, (char) => `\\${char}`)}`;
}

export const GENERATED_IGNORE_HEADER = '# local-dev: injected secret files, kept out of the image and copied into the container at up';

/** Pure: the Dockerfile-specific ignore file: the repo's .dockerignore, then the secret files (last, so no exception of the repo's re-includes them). */
export function generatedIgnoreText(repoIgnoreText: string, exclude: readonly string[]): string {
  const repo = repoIgnoreText === '' || repoIgnoreText.endsWith('\n') ? repoIgnoreText : `${repoIgnoreText}\n`;
  return `${repo}${GENERATED_IGNORE_HEADER}\n${exclude.map(exactPattern).join('\n')}\n`;
}

/**
 * Pure: the verdict for the build about to run. `stillInContext`: secret files the context will
 * really send (with the ignore file in effect now) — any of them makes the image local-only, even
 * when the Dockerfile is simple (the generated ignore file missing or out of date: run inject-config).
 */
export function buildVerdict(planned: Verdict, stillInContext: readonly string[], ignoreFileName: string): Verdict {
  if (!planned.shareable || stillInContext.length === 0) return planned;
  return {
    shareable: false,
    reason: `the build context holds ${[...stillInContext].sort().join(', ')}: ${ignoreFileName} is missing or out of date (nx run <service>:inject-config writes it)`,
  };
}
