/**
 * Writes a file so that a reader sees the old content or the new, never half of it: the bytes go
 * to a temporary file beside it, which is then renamed over it (rename is atomic on one file
 * system). A failed write removes its temporary file and rethrows.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomically(file: string, content: string | Buffer): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
