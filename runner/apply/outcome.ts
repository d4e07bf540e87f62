/** What happened to each row sent to Klaviyo: the unit the snapshot and the run report are built from. */
export type RowStatus = 'confirmed' | 'rejected' | 'failed';

export interface RowOutcome {
  key: string;
  status: RowStatus;
  /** Klaviyo's reason for a rejection, or the error for a failure. */
  reason?: string;
  profileId?: string | null;
}
