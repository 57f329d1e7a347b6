/**
 * `vitest` as the shared lakehouse engine cases (../lakehouse/test/engine-cases.ts) see it in this package:
 * the real module, except that `it` skips the cases the local Snowflake cannot run yet, with the reason in
 * the test's name (so a skip is never silent). vitest.config.ts points only that file's `vitest` import here.
 * Remove an entry as soon as its reason is gone.
 */
import { it as realIt } from 'vitest';

export * from 'vitest';

/** Case name (its start) -> why it cannot run against the local Snowflake today. */
export const SKIPPED_ENGINE_CASES: Record<string, string> = {};

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
