// Switches between the fast paths of Bulk ingest and the general ones they stand in for. Both are always on; tests
// turn one off to check that the same upload gives the same records and results either way.

/** The fast paths of Bulk ingest (true: used where they apply). */
export const ingestPaths = {
  /** Rows coerced straight into the object's columns, without a record object a row (org/insert-columns.ts). */
  columnInsert: true,
  /**
   * An upload of ASCII only keeps its bytes for the results instead of its decoded text, and its batches their rows'
   * offsets instead of the parsed rows (ingest-process.ts).
   */
  uploadBytes: true,
  /** An insert batch applied 1,000 rows a call instead of 10,000 in one (ingest-batch.ts). */
  insertParts: true,
};

/** Jobs whose upload kept its bytes for the results since the process started (tests check that theirs did). */
export const uploadBytesJobs = { count: 0 };
