/** Options of the build-image executor, as declared in schema.json. */
export interface BuildImageExecutorSchema {
  service: string;
  namespace?: string;
  refresh?: boolean;
}
