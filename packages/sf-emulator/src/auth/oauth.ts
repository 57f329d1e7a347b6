import { createHmac, createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../server/context.js';
import { escapeXml, RawError, readBody, readForm, sendEmpty, sendJson, sendText, unescapeXml } from '../server/http.js';
import type { Session } from './tokens.js';

function oauthError(status: number, error: string, description: string): RawError {
  return new RawError(status, JSON.stringify({ error, error_description: description }));
}

/** The identity URL of a user: `<loginUrl>/id/<orgId>/<userId>`. */
export function identityUrl(ctx: EmulatorContext, userId: string): string {
  return `${ctx.baseUrl}/id/${ctx.org.orgId}/${userId}`;
}

function tokenResponse(
  ctx: EmulatorContext,
  session: Session,
  extra: Record<string, string> = {},
): Record<string, string> {
  const id = identityUrl(ctx, session.userId);
  const issuedAt = String(session.issuedAt);
  const signature = createHmac('sha256', ctx.settings.clientSecret ?? 'kicksaw-emulator')
    .update(id + issuedAt)
    .digest('base64');
  return {
    access_token: session.token,
    ...extra,
    signature,
    scope: 'api web refresh_token full',
    instance_url: ctx.baseUrl,
    id,
    token_type: 'Bearer',
    issued_at: issuedAt,
  };
}

function checkClient(ctx: EmulatorContext, form: Record<string, string>, requireSecret: boolean): string {
  const clientId = form.client_id ?? '';
  if (ctx.settings.clientId !== undefined && clientId !== ctx.settings.clientId) {
    throw oauthError(400, 'invalid_client_id', 'client identifier invalid');
  }
  const secret = form.client_secret;
  if (ctx.settings.clientSecret !== undefined) {
    if ((requireSecret || secret !== undefined) && secret !== ctx.settings.clientSecret) {
      throw oauthError(400, 'invalid_client', 'invalid client credentials');
    }
  }
  return clientId || 'kicksaw-emulator';
}

function passwordMatches(ctx: EmulatorContext, password: string): boolean {
  return password === ctx.settings.password;
}

/** The id of the user with this username (the configured admin user), or undefined. */
function userIdFor(ctx: EmulatorContext, username: string): string | undefined {
  if (username.toLowerCase() === ctx.settings.username.toLowerCase()) return ctx.org.userId;
  for (const user of ctx.org.records('User')) {
    if (typeof user.Username === 'string' && user.Username.toLowerCase() === username.toLowerCase()) return user.Id;
  }
  return undefined;
}

function loadPublicKey(pem: string): KeyObject {
  if (pem.includes('BEGIN CERTIFICATE')) return new X509Certificate(pem).publicKey;
  return createPublicKey(pem);
}

function verifyJwt(ctx: EmulatorContext, assertion: string): { userId: string; clientId: string } {
  if (!ctx.settings.jwtCertificate) {
    throw oauthError(400, 'invalid_grant', 'invalid assertion: no certificate is configured for JWT bearer');
  }
  const parts = assertion.split('.');
  if (parts.length !== 3) throw oauthError(400, 'invalid_grant', 'invalid assertion');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    throw oauthError(400, 'invalid_grant', 'invalid assertion');
  }
  if (header.alg !== 'RS256') throw oauthError(400, 'invalid_grant', 'invalid assertion: algorithm must be RS256');
  let valid = false;
  try {
    valid = verify(
      'RSA-SHA256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      loadPublicKey(ctx.settings.jwtCertificate),
      Buffer.from(signaturePart, 'base64url'),
    );
  } catch {
    valid = false;
  }
  if (!valid) throw oauthError(400, 'invalid_grant', 'invalid assertion: signature does not verify');
  const iss = String(payload.iss ?? '');
  if (ctx.settings.clientId !== undefined && iss !== ctx.settings.clientId) {
    throw oauthError(400, 'invalid_client_id', 'client identifier invalid');
  }
  const aud = String(payload.aud ?? '');
  const audiences = [ctx.baseUrl, 'https://login.salesforce.com', 'https://test.salesforce.com'];
  if (!audiences.some((a) => aud.replace(/\/$/, '') === a)) {
    throw oauthError(400, 'invalid_grant', 'audience is invalid');
  }
  const exp = Number(payload.exp);
  if (!Number.isFinite(exp) || exp * 1000 < Date.now()) {
    throw oauthError(400, 'invalid_grant', 'expired authorization code');
  }
  const userId = userIdFor(ctx, String(payload.sub ?? ''));
  if (!userId) throw oauthError(400, 'invalid_grant', "user hasn't approved this consumer");
  return { userId, clientId: iss };
}

/** `POST /services/oauth2/token`. */
export async function handleToken(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readForm(req);
  const grant = form.grant_type ?? '';
  switch (grant) {
    case 'password': {
      const clientId = checkClient(ctx, form, false);
      const userId = userIdFor(ctx, form.username ?? '');
      if (!userId || !passwordMatches(ctx, form.password ?? '')) {
        throw oauthError(400, 'invalid_grant', 'authentication failure');
      }
      sendJson(res, 200, tokenResponse(ctx, ctx.tokens.issue(userId, clientId)));
      return;
    }
    case 'client_credentials': {
      const clientId = checkClient(ctx, form, true);
      sendJson(res, 200, tokenResponse(ctx, ctx.tokens.issue(ctx.org.userId, clientId)));
      return;
    }
    case 'urn:ietf:params:oauth:grant-type:jwt-bearer': {
      const { userId, clientId } = verifyJwt(ctx, form.assertion ?? '');
      sendJson(res, 200, tokenResponse(ctx, ctx.tokens.issue(userId, clientId)));
      return;
    }
    case 'refresh_token': {
      checkClient(ctx, form, false);
      const info = ctx.tokens.useRefreshToken(form.refresh_token ?? '');
      if (!info) throw oauthError(400, 'invalid_grant', 'expired access/refresh token');
      sendJson(res, 200, tokenResponse(ctx, ctx.tokens.issue(info.userId, info.clientId)));
      return;
    }
    case 'authorization_code': {
      const clientId = checkClient(ctx, form, false);
      const info = ctx.tokens.useCode(form.code ?? '');
      if (!info) throw oauthError(400, 'invalid_grant', 'invalid authorization code');
      const session = ctx.tokens.issue(info.userId, clientId);
      sendJson(
        res,
        200,
        tokenResponse(ctx, session, { refresh_token: ctx.tokens.issueRefreshToken(info.userId, clientId) }),
      );
      return;
    }
    default:
      throw oauthError(400, 'unsupported_grant_type', 'grant type not supported');
  }
}

/** `GET /services/oauth2/authorize`: approves at once and redirects with a code (web server flow). */
export function handleAuthorize(ctx: EmulatorContext, query: URLSearchParams, res: ServerResponse): void {
  const redirectUri = query.get('redirect_uri') ?? '';
  const clientId = query.get('client_id') ?? 'kicksaw-emulator';
  if (ctx.settings.clientId !== undefined && clientId !== ctx.settings.clientId) {
    throw oauthError(400, 'invalid_client_id', 'client identifier invalid');
  }
  if (!/^https?:\/\//.test(redirectUri))
    throw oauthError(400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
  const code = ctx.tokens.issueCode(ctx.org.userId, clientId, redirectUri);
  const target = new URL(redirectUri);
  target.searchParams.set('code', code);
  const state = query.get('state');
  if (state !== null) target.searchParams.set('state', state);
  sendEmpty(res, 302, { Location: target.toString() });
}

/** `POST /services/oauth2/revoke`. */
export async function handleRevoke(
  ctx: EmulatorContext,
  req: IncomingMessage,
  query: URLSearchParams,
  res: ServerResponse,
) {
  const form = req.method === 'POST' ? await readForm(req) : {};
  const token = form.token ?? query.get('token') ?? '';
  ctx.tokens.revoke(token);
  sendEmpty(res, 200);
}

function soapFault(code: string, message: string): RawError {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${escapeXml(`${code}: ${message}`)}</faultstring>` +
    `<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${escapeXml(message)}</sf:exceptionMessage></sf:LoginFault></detail>` +
    '</soapenv:Fault></soapenv:Body></soapenv:Envelope>';
  return new RawError(500, body, 'text/xml;charset=UTF-8');
}

function xmlValue(body: string, tag: string): string | undefined {
  const match = new RegExp(`<(?:\\w+:)?${tag}>([^<]*)</(?:\\w+:)?${tag}>`).exec(body);
  return match ? unescapeXml(match[1] as string) : undefined;
}

/** `POST /services/Soap/u/{version}`: login and logout of the partner SOAP API (what jsforce's `login()` uses). */
export async function handleSoap(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  version: string,
): Promise<void> {
  const body = (await readBody(req, 1024 * 1024)).toString('utf8');
  if (/<(?:\w+:)?logout[\s/>]/.test(body)) {
    const token = xmlValue(body, 'sessionId');
    if (token) ctx.tokens.revoke(token);
    sendText(
      res,
      200,
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body><logoutResponse/></soapenv:Body></soapenv:Envelope>',
      'text/xml;charset=UTF-8',
    );
    return;
  }
  if (!/<(?:\w+:)?login[\s>]/.test(body)) {
    throw soapFault('INVALID_OPERATION', 'Only login and logout are supported by this emulator');
  }
  const username = xmlValue(body, 'username') ?? '';
  const password = xmlValue(body, 'password') ?? '';
  const userId = userIdFor(ctx, username);
  if (!userId || !passwordMatches(ctx, password)) {
    throw soapFault('INVALID_LOGIN', 'Invalid username, password, security token; or user locked out.');
  }
  const session = ctx.tokens.issue(userId, 'soap');
  const orgId = ctx.org.orgId;
  const user = ctx.org.get(userId);
  const serverUrl = `${ctx.baseUrl}/services/Soap/u/${version}/${orgId.slice(0, 15)}`;
  const text =
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    '<soapenv:Body><loginResponse><result>' +
    `<metadataServerUrl>${ctx.baseUrl}/services/Soap/m/${version}/${orgId.slice(0, 15)}</metadataServerUrl>` +
    '<passwordExpired>false</passwordExpired><sandbox>false</sandbox>' +
    `<serverUrl>${serverUrl}</serverUrl><sessionId>${session.token}</sessionId><userId>${userId}</userId>` +
    '<userInfo><accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol>' +
    `<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode><organizationId>${orgId}</organizationId>` +
    `<organizationName>${escapeXml(String(organizationName(ctx)))}</organizationName>` +
    `<userEmail>${escapeXml(String(user?.Email ?? ''))}</userEmail><userFullName>${escapeXml(String(user?.Name ?? username))}</userFullName>` +
    `<userId>${userId}</userId><userName>${escapeXml(username)}</userName><userTimeZone>GMT</userTimeZone>` +
    '</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>';
  sendText(res, 200, text, 'text/xml;charset=UTF-8');
}

function organizationName(ctx: EmulatorContext): string {
  const org = ctx.org.get(ctx.org.orgId);
  return typeof org?.Name === 'string' ? org.Name : 'Kicksaw Emulator';
}

function urlsFor(ctx: EmulatorContext, version: string, userId: string): Record<string, string> {
  const base = ctx.baseUrl;
  const org15 = ctx.org.orgId.slice(0, 15);
  return {
    enterprise: `${base}/services/Soap/c/{version}/${org15}`,
    metadata: `${base}/services/Soap/m/{version}/${org15}`,
    partner: `${base}/services/Soap/u/{version}/${org15}`,
    rest: `${base}/services/data/v{version}/`,
    sobjects: `${base}/services/data/v{version}/sobjects/`,
    search: `${base}/services/data/v{version}/search/`,
    query: `${base}/services/data/v{version}/query/`,
    recent: `${base}/services/data/v{version}/recent/`,
    tooling_soap: `${base}/services/Soap/T/{version}/${org15}`,
    tooling_rest: `${base}/services/data/v{version}/tooling/`,
    profile: `${base}/${userId}`,
    feeds: `${base}/services/data/v{version}/chatter/feeds`,
    groups: `${base}/services/data/v{version}/chatter/groups`,
    users: `${base}/services/data/v{version}/chatter/users`,
    feed_items: `${base}/services/data/v{version}/chatter/feed-items`,
    feed_elements: `${base}/services/data/v{version}/chatter/feed-elements`,
    custom_domain: base,
    _version: version,
  };
}

function userDetails(ctx: EmulatorContext, userId: string) {
  const user = ctx.org.get(userId) ?? { Id: userId };
  const username = typeof user.Username === 'string' ? user.Username : ctx.settings.username;
  const first = typeof user.FirstName === 'string' ? user.FirstName : '';
  const last = typeof user.LastName === 'string' ? user.LastName : 'User';
  const name = typeof user.Name === 'string' ? user.Name : `${first} ${last}`.trim();
  const email = typeof user.Email === 'string' ? user.Email : username;
  return { username, first, last, name, email };
}

/** The running user's account settings, as the userinfo and identity services both answer them. */
const USER_ACCOUNT = { active: true, user_type: 'STANDARD', language: 'en_US', locale: 'en_US', utcOffset: 0 };

/** `GET /services/oauth2/userinfo`. */
export function handleUserInfo(ctx: EmulatorContext, session: Session, res: ServerResponse): void {
  const { username, first, last, name, email } = userDetails(ctx, session.userId);
  const urls = urlsFor(ctx, ctx.apiVersion, session.userId);
  delete urls._version;
  sendJson(res, 200, {
    sub: identityUrl(ctx, session.userId),
    user_id: session.userId,
    organization_id: ctx.org.orgId,
    preferred_username: username,
    nickname: username.split('@')[0],
    name,
    email,
    email_verified: true,
    given_name: first,
    family_name: last,
    zoneinfo: 'GMT',
    photos: {},
    profile: `${ctx.baseUrl}/${session.userId}`,
    picture: '',
    address: {},
    is_salesforce_integration_user: false,
    urls,
    ...USER_ACCOUNT,
    updated_at: new Date(session.issuedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    is_app_installed: true,
  });
}

/** `GET /id/{orgId}/{userId}`: the identity service. */
export function handleIdentity(ctx: EmulatorContext, session: Session, res: ServerResponse, userId: string): void {
  const { username, first, last, name, email } = userDetails(ctx, userId);
  const urls = urlsFor(ctx, ctx.apiVersion, userId);
  delete urls._version;
  sendJson(res, 200, {
    id: identityUrl(ctx, userId),
    asserted_user: userId === session.userId,
    user_id: userId,
    organization_id: ctx.org.orgId,
    username,
    nick_name: username.split('@')[0],
    display_name: name,
    email,
    email_verified: true,
    first_name: first,
    last_name: last,
    timezone: 'GMT',
    photos: {},
    addr_street: null,
    addr_city: null,
    addr_state: null,
    addr_country: null,
    addr_zip: null,
    mobile_phone: null,
    mobile_phone_verified: false,
    is_lightning_login_user: false,
    status: { created_date: null, body: null },
    urls,
    ...USER_ACCOUNT,
    last_modified_date: new Date(session.issuedAt).toISOString().replace(/Z$/, '+0000'),
    is_app_installed: true,
  });
}
