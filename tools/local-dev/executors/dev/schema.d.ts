/** Options of the dev executor, as declared in schema.json. */
export interface DevExecutorSchema {
  service: string;
  namespace?: string;
}
