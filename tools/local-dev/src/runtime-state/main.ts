/**
 * The program behind local-dev's Nx runtime inputs that settle (./settled.ts), run by Nx through
 * `node tools/local-dev/runtime/state.js <what> [argument file]` while it hashes tasks:
 *
 *   up <services file>      every service's container (./up-state.ts)
 *   inject <clones file>    what is injected in every clone (./inject-state.ts)
 *   tunnel                  the Redis tunnel (./tunnel-state.ts)
 *
 * The argument files are written by the plugin (src/plugin/runtime-inputs.ts): config text is read
 * as data, never part of the command. Nx hashes the output and ignores the exit code, so a failure
 * prints a line that never repeats: the task then runs and reports the problem, instead of being
 * skipped for good.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { INJECT_KEY, observeInjection } from './inject-state';
import { printedToken } from './settled';
import { observeTunnel, TUNNEL_KEY } from './tunnel-state';
import { upStateLines } from './up-state';

function linesOf(root: string, file: string): string[] {
  return readFileSync(path.join(root, file), 'utf8').split('\n').filter((line) => line !== '');
}

export async function stateLines(root: string, argv: string[]): Promise<string[]> {
  const [what, argumentFile] = argv;
  if (what === 'up' && argumentFile && argv.length === 2) return upStateLines(root, linesOf(root, argumentFile));
  if (what === 'inject' && argumentFile && argv.length === 2) return [printedToken(root, INJECT_KEY, observeInjection(root, linesOf(root, argumentFile)))];
  if (what === 'tunnel' && argv.length === 1) return [printedToken(root, TUNNEL_KEY, observeTunnel(root))];
  throw new Error(`usage: state.js up <services file> | inject <clones file> | tunnel (got: ${argv.join(' ') || 'nothing'})`);
}

export async function main(argv: string[], root = process.cwd()): Promise<void> {
  try {
    process.stdout.write(`${(await stateLines(root, argv)).join('\n')}\n`);
  } catch (error) {
    process.stdout.write(`state ${argv.join(' ')} failed at ${Date.now()}-${process.pid}: ${(error as Error).message}\n`);
  }
}
