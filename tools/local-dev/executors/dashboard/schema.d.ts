/** Options of the dashboard executor, as declared in schema.json. */
export interface DashboardExecutorSchema {
  port?: number;
  namespace?: string;
}
