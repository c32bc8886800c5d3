/**
 * Every `up` of a run in one process (executors.json: preferBatch), see src/core/batch.ts. Nx puts
 * a worker's `up` in the same batch as its owner's, so they start in order: the owner healthy
 * first. One process instead of one per service: a start of a stopped stack, and the first run
 * after any change, no longer pay Nx's task-process start per service.
 *
 * Why that does not make builds wait in a cold run: Nx dispatches nothing new while a batch runs,
 * but by the time the first `up` is ready every build-image task has been handed out already
 * ("parallel": 8), and the builds queue for their build slots (docker/build-slots.ts) inside their
 * own processes, so they keep going while this batch waits for health checks.
 */
import { batchOf } from '../../src/core/batch';
import { sayIfRedisUnreachable, startOne } from './up.impl';

// Redis last: after every service of the batch, as the batch's own output (never a task's, which
// Nx shows as one collapsed line when it succeeded).
export default batchOf(startOne, { innerDependencies: 'in-order', afterAll: (inputs, context) => sayIfRedisUnreachable(context.root, inputs[0]?.namespace) });
