/**
 * `vitest` as the shared lakehouse engine cases (../lakehouse/test/engine-cases.ts) see it in this package:
 * the real module, except that `it` skips the cases the local Snowflake cannot run yet, with the reason in
 * the test's name (so a skip is never silent). vitest.config.ts points only that file's `vitest` import here.
 * Remove an entry as soon as its reason is gone.
 */
import { it as realIt } from 'vitest';

export * from 'vitest';

/** Case name (its start) -> why it cannot run against the local Snowflake today. */
export const SKIPPED_ENGINE_CASES: Record<string, string> = {
  'leaves table and cursor as they were':
    "the shared case (packages/lakehouse/test/engine-cases.ts) assumes lower-case stored names and Postgres string literals: its fault hook looks for `_kicksaw_sync_state` in the SQL, but this engine writes the name quoted upper case (\"_KICKSAW_SYNC_STATE\", see storedName), so the fault is never injected and the case's expected failure does not happen; and its stage-table check ends in ESCAPE '\\', which Snowflake reads as an unterminated string (a backslash escapes the quote). The case must change in packages/lakehouse; this package's own atomicity test covers the behaviour meanwhile",
};

type It = typeof realIt;

function reasonFor(name: string): string | undefined {
  for (const [start, reason] of Object.entries(SKIPPED_ENGINE_CASES)) if (name.startsWith(start)) return reason;
  return undefined;
}

const wrapped = ((name: string, ...rest: unknown[]) => {
  const reason = reasonFor(name);
  if (reason) return realIt.skip(`${name} [skipped on the local Snowflake: ${reason}]`, ...(rest as []));
  return (realIt as unknown as (...args: unknown[]) => unknown)(name, ...rest);
}) as unknown as It;

export const it: It = Object.assign(wrapped, realIt);
export const test: It = it;
