/** Options of the stats executor, as declared in schema.json. */
export interface StatsExecutorSchema {
  services?: string;
  watch?: boolean;
  interval?: number;
  json?: boolean;
  namespace?: string;
}
