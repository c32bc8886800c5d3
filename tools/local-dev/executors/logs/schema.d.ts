/** Options of the logs executor, as declared in schema.json. */
export interface LogsExecutorSchema {
  service?: string;
  services?: string;
  follow?: boolean;
  tail?: number;
  since?: string;
  namespace?: string;
  refresh?: boolean;
}
