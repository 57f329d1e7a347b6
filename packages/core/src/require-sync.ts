import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Loads a package synchronously, from the caller's place in the file tree: for a dependency a package
 * needs only on some calls and only in synchronous code (a check of options, say), so that importing the
 * package does not load it. With the caller's `import.meta.resolve`, the package's ES module build is
 * loaded (through `require()`, which Node 22.12 and later can do), so it is the same module instance as an
 * `import` of it elsewhere in the process; without one, or when it cannot resolve the name (a bundler's or
 * a test runner's module loader), the build Node's `require` conditions pick.
 *
 * @param from - The caller's `import.meta.url`.
 * @param specifier - The package to load, as the caller would import it.
 * @param resolve - The caller's `import.meta.resolve`, if it has one.
 *
 * @example
 * ```ts
 * import { requireSync } from '@kicksaw/core';
 *
 * const { z } = requireSync<typeof import('zod')>(import.meta.url, 'zod', (name) => import.meta.resolve(name));
 * ```
 */
export function requireSync<T>(from: string, specifier: string, resolve?: (specifier: string) => string): T {
  let path = specifier;
  try {
    if (resolve) path = fileURLToPath(resolve(specifier));
  } catch {
    path = specifier;
  }
  return createRequire(from)(path) as T;
}
