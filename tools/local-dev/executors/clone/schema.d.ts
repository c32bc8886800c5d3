/** Options of the clone executor, as declared in schema.json. */
export interface CloneExecutorSchema {
  service: string;
  namespace?: string;
  refresh?: boolean;
  /** Forwarded from inject-config --undo: clone does nothing. */
  undo?: boolean;
}
