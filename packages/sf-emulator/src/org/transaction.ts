// The org's all-or-nothing unit across DML calls (composite allOrNone): an undo log that every DML records into
// while it is open, nested transactions handing their changes to the enclosing one.

import { rollback } from './dml.js';
import type { Undo } from './dml-context.js';
import type { OrgTransaction } from './emulated-org.js';

/** Where the org keeps the undo log of its open transaction (undefined: none open). */
export interface TransactionSlot {
  undo: Undo[] | undefined;
}

/** Opens a transaction in `slot`; it closes on its first `commit()` or `rollback()`. */
export function beginTransaction(slot: TransactionSlot): OrgTransaction {
  const parent = slot.undo;
  const undo: Undo[] = [];
  slot.undo = undo;
  let open = true;
  const close = () => {
    if (!open) return false;
    open = false;
    if (slot.undo === undo) slot.undo = parent;
    return true;
  };
  return {
    commit: () => {
      // A nested transaction hands its changes to the enclosing one, which may still undo them.
      if (close() && parent) for (const entry of undo) parent.push(entry);
    },
    rollback: () => {
      if (close()) rollback(undo);
    },
  };
}
