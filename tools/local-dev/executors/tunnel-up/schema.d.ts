/** Options of the tunnel-up executor, as declared in schema.json. */
export interface TunnelUpExecutorSchema {
  namespace?: string;
  /** Accepted only because Nx forwards the run's options along the up chain (dependsOn params: forward); ignored by this target. */
  refresh?: boolean;
  /** Restart kubectl even when the tunnel is healthy. */
  reconnect?: boolean;
}
