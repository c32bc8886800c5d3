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
