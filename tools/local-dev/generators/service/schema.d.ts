export interface ServiceGeneratorSchema {
  name: string;
  repo?: string;
  branch?: string;
  port?: string | string[];
  debugPort?: number;
  workerOf?: string;
  dockerfileFrom?: string;
  healthPath?: string;
  secret?: string | string[];
}
