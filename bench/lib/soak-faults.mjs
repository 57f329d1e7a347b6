// The faults of the flow 1 soak (bench/orchestrator-soak.bench.mjs), shared with the engine-alone run of
// bench/sf-bulk-faults.bench.mjs so that both put the same trouble on the org: lock errors on 1% of Contact
// rows, a 503 on 2% of requests, 0.2% of connections dropped, the session expiring every 2,000 requests, and
// each Bulk job held 500 ms before it is processed.

/** The org's fault settings (`@kicksaw/sf-emulator`'s `faults`) for a seed of the bench. */
export function soakFaults(seed) {
  return {
    seed: seed * 1000 + 11,
    jobProcessingMs: 500,
    rowErrors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', rate: 0.01, objects: ['Contact'] }],
    httpErrors: { status: 503, rate: 0.02 },
    dropConnectionRate: 0.002,
    sessionExpiry: { afterRequests: 2000 },
  };
}
