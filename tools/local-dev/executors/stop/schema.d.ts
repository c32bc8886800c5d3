/** Options of the stop executor, as declared in schema.json. */
export interface StopExecutorSchema {
  namespace?: string;
}
