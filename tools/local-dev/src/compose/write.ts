/**
 * Rendering docker-compose.yml, which the docker-compose:generate task writes once per run with
 * writeFileAtomically (a reader never sees half a file).
 */
import { stringify } from 'yaml';
import { composeHeader, type ComposeDocument } from './document';

/**
 * Every string value is double-quoted: compose v1 reads YAML 1.1, where an unquoted `2222:22` is a
 * base-60 number and `yes`/`on` are booleans, so a port mapping or an environment value could
 * silently change meaning. Keys stay plain.
 */
export function renderCompose(document: ComposeDocument, namespace: string): string {
  return `${composeHeader(namespace)}${stringify(document, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' })}`;
}
