/** Options of the compose-file executor, as declared in schema.json. */
export interface ComposeFileExecutorSchema {
  namespace?: string;
  refresh?: boolean;
}
