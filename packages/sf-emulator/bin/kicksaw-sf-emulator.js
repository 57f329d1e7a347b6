#!/usr/bin/env node
// The command's launcher, committed with the package: pnpm links a workspace package's bin at install, before any
// build has created dist/cli.js, and warns when the bin's target is missing. This file always exists; it loads the
// built command when run.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'kicksaw-sf-emulator: dist/cli.js is missing: build the package first (pnpm --filter @kicksaw/sf-emulator build)\n',
  );
  process.exit(1);
}
await import(cli.href);
