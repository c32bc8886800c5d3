/** Options of the tunnel-restart executor, as declared in schema.json. */
export interface TunnelRestartExecutorSchema {
  namespace?: string;
  /** Accepted only because Nx forwards the run's options along the up chain (dependsOn params: forward); ignored by this target. */
  refresh?: boolean;
}
