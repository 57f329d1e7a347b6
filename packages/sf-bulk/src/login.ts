import { readText, send, type TransportSettings } from './transport.js';

/**
 * The login requests of {@link connect}, sent over the package's transport (transport.ts) so that a
 * proxy applies to them as to every other call. Why not jsforce's `login` / `authorize`: jsforce sends
 * them through its own HTTP client, which reads `https_proxy` once when jsforce is first imported and
 * ignores `NO_PROXY`. The requests and the errors are those jsforce makes (SOAP `login` of the
 * partner API; OAuth token requests), so a failed login reads as it did.
 */

/** A session obtained by a login. */
export interface LoginSession {
  accessToken: string;
  instanceUrl: string;
  refreshToken?: string | undefined;
  userInfo?: { id: string; organizationId: string; url: string } | undefined;
}

/** An error named as jsforce names it (`invalid_grant`, or `Error` for a SOAP fault). */
function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const escapeXml = (value: string): string => value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Logs in by the SOAP `login` call (username and password plus security token).
 *
 * @internal
 */
export async function soapLogin(
  input: { loginUrl: string; version: string; username: string; password: string },
  transport: TransportSettings,
): Promise<LoginSession> {
  const body =
    '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>' +
    `<login xmlns="urn:partner.soap.sforce.com"><username>${escapeXml(input.username)}</username>` +
    `<password>${escapeXml(input.password)}</password></login></se:Body></se:Envelope>`;
  const answer = await send(
    `${input.loginUrl}/services/Soap/u/${input.version}`,
    { method: 'POST', headers: { 'content-type': 'text/xml', soapaction: '""' }, body },
    transport,
  );
  const text = await readText(answer.body);
  if (answer.status >= 400) {
    throw namedError('Error', /<faultstring>([^<]+)<\/faultstring>/.exec(text)?.[1] ?? text);
  }
  if (/<passwordExpired>true<\/passwordExpired>/.test(text)) {
    throw namedError('Error', 'Unable to login because the used password has expired.');
  }
  const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(text)?.[1];
  const serverUrl = field('serverUrl');
  const sessionId = field('sessionId');
  const userId = field('userId');
  const organizationId = field('organizationId');
  if (!serverUrl || !sessionId || !userId || !organizationId) {
    throw namedError('Error', 'could not extract session information from login response');
  }
  return {
    accessToken: sessionId,
    instanceUrl: serverUrl.split('/').slice(0, 3).join('/'),
    userInfo: { id: userId, organizationId, url: `${input.loginUrl}/id/${organizationId}/${userId}` },
  };
}

/**
 * Asks the OAuth token endpoint for a session (`grant_type` password, client_credentials, JWT bearer or
 * refresh_token, with the client's id and secret in `params`).
 *
 * @internal
 */
export async function tokenRequest(
  loginUrl: string,
  params: Record<string, string>,
  transport: TransportSettings,
): Promise<LoginSession> {
  const answer = await send(
    `${loginUrl}/services/oauth2/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    },
    transport,
  );
  const text = await readText(answer.body);
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: reported below by status
  }
  if (answer.status >= 400) {
    const error = String(parsed?.error ?? `ERROR_HTTP_${answer.status}`);
    throw namedError(error, String(parsed?.error_description ?? text));
  }
  const accessToken = typeof parsed?.access_token === 'string' ? parsed.access_token : '';
  const instanceUrl = typeof parsed?.instance_url === 'string' ? parsed.instance_url : '';
  if (!accessToken || !instanceUrl) {
    throw namedError('Error', 'The token endpoint answered without an access token or instance URL');
  }
  const id = typeof parsed?.id === 'string' ? parsed.id : undefined;
  const [organizationId, userId] = id ? id.split('/').slice(-2) : [];
  return {
    accessToken,
    instanceUrl,
    refreshToken: typeof parsed?.refresh_token === 'string' ? parsed.refresh_token : undefined,
    userInfo: id && organizationId && userId ? { id: userId, organizationId, url: id } : undefined,
  };
}
