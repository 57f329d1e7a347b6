// The connections the peer benches give their tools, from the local org's `{ instanceUrl, accessToken, apiVersion }`
// (the JSON line peers-org.mjs prints). Shared by peers-tools.mjs and peers-trace.mjs.

/** A jsforce `Connection` on the org's bare access token (what the jsforce tools use). */
export async function jsforceConnection(org) {
  const { Connection } = await import('jsforce');
  return new Connection({ instanceUrl: org.instanceUrl, accessToken: org.accessToken, version: org.apiVersion });
}

/**
 * kicksaw's connection: the org's access token as a plain `SalesforceConnection` (`{ instanceUrl, accessToken,
 * version }`), the same bare token the jsforce tools get, for which @kicksaw/sf-bulk never loads jsforce.
 * PEERS_KICKSAW_JSFORCE=1 gives kicksaw a jsforce `Connection` on that token instead (jsforce loaded: about 15 MB
 * more before the first row).
 */
export async function kicksawConnection(org) {
  if (process.env.PEERS_KICKSAW_JSFORCE) return jsforceConnection(org);
  return { instanceUrl: org.instanceUrl, accessToken: org.accessToken, version: org.apiVersion };
}
