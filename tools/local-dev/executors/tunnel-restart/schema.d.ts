/** Options of the tunnel-restart executor, as declared in schema.json. */
export interface TunnelRestartExecutorSchema {
  namespace?: string;
  refresh?: boolean;
}
