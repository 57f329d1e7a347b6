// The records of one object and their value indexes: the state the org keeps per object, read by the query engine.
import type { CompiledObject } from '../schema/compile.js';
import type { KeyIndex } from './key-index.js';
import type { RecordMap } from './record-map.js';

/** Records of one object and their value indexes. */
export interface ObjectStore {
  object: CompiledObject;
  /** Live and soft-deleted records by 18-character id, in insertion order (a `Map`'s operations, see RecordMap). */
  records: RecordMap;
  /** Per indexed field (lower-cased name): index key to id (or ids, for non-unique external ids). Live records only. */
  indexes: Map<string, KeyIndex>;
  /** The same index maps aligned with `object.indexed` (no lookup by name per record). */
  indexList: KeyIndex[];
  /** Number of soft-deleted records (to skip filtering when none). */
  deleted: number;
  /**
   * The delete log read by the replication API: id to the epoch milliseconds of its deletion, for every record
   * deleted (soft or hard) within the retention. An undelete removes the entry.
   */
  deleteLog: Map<string, number>;
  /** A lower bound of the oldest deletion in `deleteLog` (a scan for expired entries runs only when it is due). */
  deleteLogMin: number;
  /** Deletion time of the last delete log entry dropped at the end of the retention (earliestDateAvailable). */
  lastPurged: number | undefined;
}
