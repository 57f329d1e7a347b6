import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { z as Zod } from 'zod';

let loaded: typeof Zod | undefined;

/**
 * zod, loaded the first time a check runs rather than when the package is imported. Importing zod costs a process
 * about 4-5 MB of resident memory (its schemas, compiled code and locale: 3.3 MB of JS heap, measured after a
 * garbage collection), and the ingest path with the default settings runs no check at all, so it never loads it.
 * Synchronous, because the checks are (`ingest`, `parseSalesforceConfig`): the ES module build is loaded through
 * `require()` (Node 22.12 and later load ES modules that way), so it is the same module instance as an
 * `import 'zod'` elsewhere in the process; where the module's address cannot be resolved, the CommonJS build.
 *
 * @internal
 */
export function zod(): typeof Zod {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url);
    let path = 'zod';
    try {
      path = fileURLToPath(import.meta.resolve('zod'));
    } catch {
      // No import.meta.resolve (a bundler's or test runner's module loader): the CommonJS build.
    }
    loaded = (require(path) as { z: typeof Zod }).z;
  }
  return loaded;
}
