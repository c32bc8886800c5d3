/** Options of the up executor, as declared in schema.json. */
export interface UpExecutorSchema {
  service: string;
  namespace?: string;
  refresh?: boolean;
}
