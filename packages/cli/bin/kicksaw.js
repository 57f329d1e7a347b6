#!/usr/bin/env node
// The committed launcher of `kicksaw`: package managers link bins at install time, before any build,
// so the bin must be a file that exists in the repository. It loads the built program.
import('../dist/cli.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write('kicksaw: the program is not built yet; run `pnpm --filter @kicksaw/cli build` first.\n');
  } else {
    process.stderr.write(`kicksaw: ${error?.stack ?? error}\n`);
  }
  process.exitCode = 1;
});
