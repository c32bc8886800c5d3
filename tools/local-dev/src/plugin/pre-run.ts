/**
 * Checks made once per `nx run` / `run-many` / `affected`, before Nx starts any task (the plugin's
 * preTasksExecution hook).
 *
 * Why here and not only in each task: every task checks its namespace too, but a bad --namespace
 * then fails each repo's clone at once, and Nx 23 exits with 130 (read as Ctrl-C by make and
 * scripts) whenever a failed task leaves dependents skipped. Refused here, the run stops with one
 * message and exit status 1, before any task, clone or secret is touched.
 */
import { loadConfigCached } from '../config/cached-load';
import { resolveNamespace } from '../core/namespace';
import { workspacePaths } from '../core/workspace';

const FLAG = '--namespace';

/**
 * The value of --namespace on an nx command line: undefined when the flag is absent, '' when it is
 * given without a value (`--namespace=`, or `--namespace` followed by another flag or nothing).
 * The last one wins, as with Nx's own parser.
 */
export function namespaceFlag(argv: readonly string[]): string | undefined {
  let value: string | undefined;
  argv.forEach((word, index) => {
    if (word.startsWith(`${FLAG}=`)) value = word.slice(FLAG.length + 1);
    else if (word === FLAG) {
      const next = argv[index + 1];
      value = next === undefined || next.startsWith('-') ? '' : next;
    }
  });
  return value;
}

/** Throws a UsageError (listing the namespaces) when the command line names a namespace that cannot be used. */
export function checkCommandLine(workspaceRoot: string, argv: readonly string[]): void {
  const requested = namespaceFlag(argv);
  if (requested === undefined) return;
  resolveNamespace(workspacePaths(workspaceRoot), requested, loadConfigCached(workspaceRoot).defaultNamespace);
}
