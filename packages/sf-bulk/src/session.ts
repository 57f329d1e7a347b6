/**
 * What this package needs of a Salesforce connection: the instance to call, the session to call it with and the API
 * version. A jsforce `Connection` is one (from {@link connect} or your own), and it renews an expired session through
 * the login it was made with. A plain object is one too, for an access token you already have: then jsforce is never
 * loaded (importing this package does not load it; only {@link connect} does), which keeps about 15 MB of memory
 * before the first row (20 MB at the peak of a 1,000,000-row ingest) and 0.3-0.4 s of start-up out of a process that
 * only loads or queries data. An expired plain session is an error that
 * says so (`INVALID_SESSION_ID`): it cannot be renewed.
 *
 * @example
 * ```ts
 * const session: SalesforceConnection = {
 *   instanceUrl: 'https://acme.my.salesforce.com',
 *   accessToken: process.env.SF_ACCESS_TOKEN ?? '',
 *   version: '62.0',
 * };
 * ```
 */
export interface SalesforceConnection {
  /** The org's instance, e.g. `https://acme.my.salesforce.com`. */
  instanceUrl: string;
  /** The session id (OAuth access token). */
  accessToken?: string | null | undefined;
  /** The REST API version, e.g. `62.0`. Default 62.0. */
  version?: string | undefined;
}
