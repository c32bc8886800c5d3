/** Options of the restart executor, as declared in schema.json. */
export interface RestartExecutorSchema {
  services?: string;
  tunnel?: boolean;
  namespace?: string;
}
