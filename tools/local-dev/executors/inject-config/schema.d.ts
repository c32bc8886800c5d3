/** Options of the inject-config executor, as declared in schema.json. */
export interface InjectConfigExecutorSchema {
  service: string;
  namespace?: string;
  refresh?: boolean;
  /** Remove the injected files instead of injecting. */
  undo?: boolean;
}
