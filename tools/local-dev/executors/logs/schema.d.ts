/** Options of the logs executor, as declared in schema.json. */
export interface LogsExecutorSchema {
  service: string;
  follow?: boolean;
  tail?: number;
  namespace?: string;
  refresh?: boolean;
}
