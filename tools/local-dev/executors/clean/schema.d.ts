/** Options of the clean executor, as declared in schema.json. */
export interface CleanExecutorSchema {
  force?: boolean;
  namespace?: string;
}
