/** Every inject-config task of a run in one process (executors.json: preferBatch), see src/core/batch.ts. */
import { batchOf } from '../../src/core/batch';
import injectConfigExecutor from './inject-config.impl';

export default batchOf(injectConfigExecutor);
