/**
 * Config text in, problems out: the one helper the config specs share to see what a user would
 * read for a config.yaml (src/config/*.spec.ts).
 */
import { ConfigError, type ConfigProblem } from '../src/core/errors';
import { parseConfigText } from '../src/config/load';

export const CONFIG_FILE = 'repos_docker_files/config.yaml';

/** Lines joined into a file's text, with the final newline. */
export const yaml = (lines: string[]) => `${lines.join('\n')}\n`;

/** The problems config text produces; [] when it loads cleanly. */
export function problemsIn(text: string): ConfigProblem[] {
  try {
    parseConfigText(text, CONFIG_FILE);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** The problems config text produces; fails the test when it loads cleanly. */
export function problemsOf(text: string): ConfigProblem[] {
  const problems = problemsIn(text);
  if (problems.length === 0) throw new Error('expected the config to be rejected');
  return problems;
}
