import type { Store } from '../store/database.js';

/** What every operation gets: the store it writes, the clock, and who acts. */
export interface OperationContext {
  readonly store: Store;
  readonly now: () => Date;
  /** The acting operator, recorded in every audit entry. */
  readonly operator: string;
  /** Reserved for roles and quorum (a later issue). */
  readonly role?: string | null;
}
