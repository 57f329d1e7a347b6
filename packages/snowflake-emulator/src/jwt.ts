import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * Key-pair login (`authenticator: 'SNOWFLAKE_JWT'`), checked as Snowflake does: the driver signs a JWT with
 * the user's private key (RS256) whose `iss` is `ACCOUNT.USER.SHA256:<fingerprint>` (the base64 SHA-256 of
 * the public key's DER SPKI), `sub` is `ACCOUNT.USER`, and `iat` / `exp` bound its life. The emulator holds
 * the user's public key(s) and verifies with node:crypto (a JWT library would add a dependency for one
 * signature check and three claims).
 */

/** A configured public key and its Snowflake fingerprint (`SHA256:...`). */
export interface UserKey {
  key: KeyObject;
  fingerprint: string;
}

/** Parses PEM public keys (SPKI `PUBLIC KEY`, or `RSA PUBLIC KEY`) and computes their fingerprints. */
export function userKeys(pems: string | readonly string[] | undefined): UserKey[] {
  const list = pems === undefined ? [] : typeof pems === 'string' ? [pems] : pems;
  return list.map((pem) => {
    const key = createPublicKey({ key: pem, format: 'pem' });
    const der = key.export({ format: 'der', type: 'spki' });
    return { key, fingerprint: `SHA256:${createHash('sha256').update(der).digest('base64')}` };
  });
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The most a key-pair JWT may live (Snowflake refuses longer ones). */
const MAX_LIFETIME_SECONDS = 3600;

/** Seconds of a JWT time claim: the Node driver writes milliseconds (`Date.now()`), other clients seconds. */
function seconds(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return value > 1e11 ? value / 1000 : value;
}

/**
 * Checks the JWT of a login: undefined when it is good, else why not (for tests and debugging; the driver
 * is only told `JWT token is invalid.`, as Snowflake tells it).
 */
export function jwtProblem(
  token: string,
  expected: { account: string; user: string; keys: readonly UserKey[]; nowMs: number },
): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return 'not a JWT';
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodePart(headerPart);
  const payload = decodePart(payloadPart);
  if (!header || !payload) return 'header or payload is not JSON';
  if (header.alg !== 'RS256') return `algorithm ${String(header.alg)} (RS256 expected)`;
  const account = expected.account.toUpperCase();
  const user = expected.user.toUpperCase();
  const issuer = String(payload.iss ?? '');
  const prefix = `${account}.${user}.`;
  if (!issuer.startsWith(prefix)) return `iss ${issuer} does not start with ${prefix}`;
  if (payload.sub !== `${account}.${user}`) return `sub ${String(payload.sub)} is not ${account}.${user}`;
  const key = expected.keys.find((k) => k.fingerprint === issuer.slice(prefix.length));
  if (!key) return `no public key of ${user} has the fingerprint ${issuer.slice(prefix.length)}`;
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  if (!verify('RSA-SHA256', signed, key.key, Buffer.from(signaturePart, 'base64url'))) return 'bad signature';
  const exp = seconds(payload.exp);
  const iat = seconds(payload.iat);
  const now = expected.nowMs / 1000;
  if (exp === undefined || iat === undefined) return 'exp or iat missing';
  if (exp <= now) return 'expired';
  if (iat > now + 60) return 'issued in the future';
  if (exp - iat > MAX_LIFETIME_SECONDS) return 'lives longer than an hour';
  return undefined;
}
