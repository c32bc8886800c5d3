/** A file's text, or undefined when it does not exist; any other failure (a permission, a folder) is thrown. */
import { readFileSync } from 'node:fs';

export function readTextIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * A JSON file's value, or undefined when the file does not exist or does not parse. For the state
 * files local-dev writes whole and atomically: one that does not parse was edited by hand, and is
 * as good as none. Any other failure (a permission, a folder) is thrown.
 */
export function readJsonIfExists<T>(file: string): T | undefined {
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
