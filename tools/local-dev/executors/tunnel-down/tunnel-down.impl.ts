/**
 * tunnel-down: stop the Redis tunnel supervisor and its kubectl (whole process group), leaving no
 * process behind. Stopping a tunnel that does not run is not an error.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { workspacePaths } from '../../src/core/workspace';
import { stopTunnel } from '../../src/tunnel/control';
import type { TunnelDownExecutorSchema } from './schema';

export default async function tunnelDownExecutor(_options: TunnelDownExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  // One tunnel per workspace, whatever namespace it serves: `namespace` is accepted (the chain
  // forwards it) but does not pick what to stop, and the config need not even be valid to stop it.
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    await stopTunnel(workspacePaths(context.root), (line) => process.stdout.write(`${line}\n`));
  });
}
