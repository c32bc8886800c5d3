/** Options of the tunnel-up executor, as declared in schema.json. */
export interface TunnelUpExecutorSchema {
  namespace?: string;
  refresh?: boolean;
  /** Restart kubectl even when the tunnel is healthy. */
  reconnect?: boolean;
}
