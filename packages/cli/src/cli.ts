import { runCli } from './program.js';

// The process edge of `kicksaw`: Ctrl-C (SIGINT) and SIGTERM abort running work cleanly once; a second
// Ctrl-C ends the process at once.
const controller = new AbortController();
let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) process.exit(signal === 'SIGINT' ? 130 : 143);
  interrupted = true;
  controller.abort(signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const { exitCode, forceExit } = await runCli(process.argv.slice(2), { signal: controller.signal });
process.exitCode = exitCode;
if (forceExit || interrupted) {
  // Work left running (HTTP polls of jobs that finish in Salesforce) must not keep the process alive.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(exitCode)));
} else {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
