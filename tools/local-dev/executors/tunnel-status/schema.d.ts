/** Options of the tunnel-status executor, as declared in schema.json. */
export interface TunnelStatusExecutorSchema {
  json?: boolean;
  namespace?: string;
  /** Accepted only because Nx forwards the run's options along the up chain (dependsOn params: forward); ignored by this target. */
  refresh?: boolean;
}
