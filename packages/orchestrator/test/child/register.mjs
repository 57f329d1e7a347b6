// Lets a child process run the orchestrator's TypeScript source as it is (Node 22 strips the types):
// the source imports its siblings as `./x.js`, which this hook points at `./x.ts`.
import { register } from 'node:module';

register('./resolve-ts.mjs', import.meta.url);
