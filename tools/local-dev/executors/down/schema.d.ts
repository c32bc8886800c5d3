/** Options of the down executor, as declared in schema.json. */
export interface DownExecutorSchema {
  service: string;
  namespace?: string;
  refresh?: boolean;
}
