import { requireSync } from '@kicksaw/core';
import type { z as Zod } from 'zod';

let loaded: typeof Zod | undefined;

/**
 * zod, loaded the first time a check runs rather than when the package is imported. Importing zod costs a process
 * about 4-5 MB of resident memory (its schemas, compiled code and locale: 3.3 MB of JS heap, measured after a
 * garbage collection), and reading a CSV without a mapping runs no check at all, so it never loads it. Synchronous, because the
 * check is (`createMapper` checks a mapping synchronously): see `requireSync`.
 *
 * @internal
 */
export function zod(): typeof Zod {
  loaded ??= requireSync<{ z: typeof Zod }>(import.meta.url, 'zod', (name) => import.meta.resolve(name)).z;
  return loaded;
}
