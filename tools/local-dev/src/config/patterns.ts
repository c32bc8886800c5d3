/**
 * The text patterns of config.yaml values, apart from the zod schema so that code which only needs
 * the model (every executor, through model.ts) does not load zod.
 */

/** Plain folder-like names: services become Docker hostnames and Nx project names. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** "8000:8000", "8000", "127.0.0.1:8000:8000", "8000:8000/udp" — the compose short syntax we accept. */
export const PORT_MAPPING_PATTERN = /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp))?$/;
