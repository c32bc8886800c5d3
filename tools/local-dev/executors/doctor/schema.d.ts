/** Options of the doctor executor, as declared in schema.json. */
export interface DoctorExecutorSchema {
  services?: string;
  namespace?: string;
}
