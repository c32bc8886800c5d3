/** Options of the status executor, as declared in schema.json. */
export interface StatusExecutorSchema {
  json?: boolean;
  services?: string;
  namespace?: string;
}
