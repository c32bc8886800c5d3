/**
 * The team's image registry setting: config.yaml's `registry: { url, push }`, or for CI the
 * environment (LOCAL_DEV_REGISTRY, LOCAL_DEV_REGISTRY_PUSH), the environment winning. Pure: the
 * edge passes its environment in. Credentials never live here: the engine's own `docker login` holds them.
 */
import { UsageError } from '../core/errors';

export interface RegistrySettings {
  /** host[:port][/path], no scheme: images are `<url>/<service>:<portable hash>`. */
  url: string;
  /** Push what this laptop builds (in the background), or only pull. */
  push: boolean;
}

export const REGISTRY_ENV = 'LOCAL_DEV_REGISTRY';
export const REGISTRY_PUSH_ENV = 'LOCAL_DEV_REGISTRY_PUSH';

export const REGISTRY_URL_EXAMPLE = 'registry.internal:5000/local-dev';

// Docker's reference grammar (distribution/reference): a host of dot-separated labels or an
// [IPv6] address, an optional port; path components in lower case with ., _, __ or dashes inside.
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Pure: a registry url or image reference → its host[:port] and the path below it ('' when none). */
export function registryUrlParts(url: string): { host: string; path: string } {
  const slash = url.indexOf('/');
  return slash === -1 ? { host: url, path: '' } : { host: url.slice(0, slash), path: url.slice(slash + 1) };
}

/**
 * Pure: what is wrong with a registry url, in words a user can act on; undefined when it is fine.
 * Docker reads the first part of an image name as a registry only when it has a dot or a port or is
 * `localhost`: `team/local-dev` would silently mean Docker Hub's user `team`, so it is refused.
 */
export function registryUrlProblem(url: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return 'has a scheme: write host:port/path, without http:// or https:// (the engine decides how to talk to it)';
  if (url.trim() !== url || url === '') return 'is empty or has spaces around it';
  if (url.endsWith('/')) return 'ends with "/"';
  const { host, path: below } = registryUrlParts(url);
  const components = below === '' ? [] : below.split('/');
  if (!HOST.test(host)) return `does not start with a registry host ("${host}" is not a host name or host:port)`;
  const port = /:(\d+)$/.exec(host)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `has port ${port}, outside 1-65535`;
  if (!host.includes('.') && !host.includes(':') && host !== 'localhost') {
    return `starts with "${host}", which Docker would read as a Docker Hub account, not a registry host (add its port or domain, e.g. ${host}:5000)`;
  }
  const bad = components.find((component) => !PATH_COMPONENT.test(component));
  if (bad !== undefined) return `has the path part "${bad}": Docker allows lower-case letters, digits and . _ - inside`;
  return undefined;
}

/** Pure: "1"/"true"/"yes" → true, "0"/"false"/"no"/"" → false, anything else undefined. */
export function parseSwitch(value: string): boolean | undefined {
  const normalized = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(normalized)) return false;
  return undefined;
}

/**
 * Pure: the registry this run uses. LOCAL_DEV_REGISTRY (non-empty) replaces config.yaml's url and
 * LOCAL_DEV_REGISTRY_PUSH its push; a url from the environment without LOCAL_DEV_REGISTRY_PUSH only
 * pulls. A bad value is a UsageError naming the variable and the fix.
 */
export function effectiveRegistry(fromConfig: RegistrySettings | undefined, env: NodeJS.ProcessEnv): RegistrySettings | undefined {
  const url = env[REGISTRY_ENV]?.trim() ? env[REGISTRY_ENV].trim() : undefined;
  const pushText = env[REGISTRY_PUSH_ENV];
  if (url !== undefined) {
    const problem = registryUrlProblem(url);
    if (problem) throw new UsageError(`${REGISTRY_ENV}=${url} ${problem}`, { fix: `set ${REGISTRY_ENV} to host:port/path, e.g. ${REGISTRY_URL_EXAMPLE}` });
  }
  let push: boolean | undefined;
  if (pushText !== undefined) {
    push = parseSwitch(pushText);
    if (push === undefined)
      throw new UsageError(`${REGISTRY_PUSH_ENV}=${pushText} is neither on nor off`, { fix: `set ${REGISTRY_PUSH_ENV} to 1 (push) or 0 (only pull)` });
  }
  if (url === undefined) return fromConfig && push !== undefined ? { ...fromConfig, push } : fromConfig;
  return { url, push: push ?? false };
}
