/** Options of the tunnel-down executor, as declared in schema.json. */
export interface TunnelDownExecutorSchema {
  namespace?: string;
  refresh?: boolean;
}
