/** Every clone task of a run in one process (executors.json: preferBatch), see src/core/batch.ts. */
import { batchOf } from '../../src/core/batch';
import cloneExecutor from './clone.impl';

export default batchOf(cloneExecutor);
