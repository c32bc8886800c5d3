/** Options of the tunnel-status executor, as declared in schema.json. */
export interface TunnelStatusExecutorSchema {
  json?: boolean;
  namespace?: string;
  refresh?: boolean;
}
