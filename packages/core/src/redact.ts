/** What a masked secret is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Object keys whose values are secrets, compared without case, `_` or `-`.
 * (`client_secret`, `clientSecret` and `Client-Secret` are all `clientsecret`.)
 */
const SECRET_KEYS = new Set(
  [
    'password',
    'passwd',
    'pass',
    'pwd',
    'secret',
    'clientSecret',
    'consumerSecret',
    'accessToken',
    'refreshToken',
    'idToken',
    'sessionId',
    'sessionToken',
    'securityToken',
    'token',
    'apiKey',
    'privateKey',
    'secretAccessKey',
    'awsSecretAccessKey',
    'authorization',
    'proxyAuthorization',
    'cookie',
    'setCookie',
    'xSfdcSession',
    'assertion',
    'signature',
  ].map(normalizeKey),
);

function normalizeKey(key: string): string {
  return key.replace(/[-_\s]/g, '').toLowerCase();
}

/** Patterns of secrets inside free text, each with its replacement. */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // PEM blocks: private keys, certificates' keys.
  [
    /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`,
  ],
  // Salesforce session ids / access tokens: 00D + org id part + ! + token.
  [/\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._\-+/=]+/g, REDACTED],
  // Authorization headers and bearer / OAuth / basic credentials in text.
  [/\b(Authorization|Proxy-Authorization|X-SFDC-Session)(["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi, `$1$2${REDACTED}`],
  [/\b(Bearer|OAuth|Basic)\s+[A-Za-z0-9._\-+/=!~]{8,}/g, `$1 ${REDACTED}`],
  // AWS secret keys and session tokens written as settings.
  [
    /\b(aws_secret_access_key|aws_session_token|secretAccessKey|sessionToken)(["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}/gi,
    `$1$2${REDACTED}`,
  ],
  // password=..., client_secret=..., access_token=... in query strings, form bodies and logs.
  [
    /\b(password|passwd|client_secret|clientSecret|access_token|accessToken|refresh_token|refreshToken|session_id|sessionId|security_token|assertion)(["']?\s*[:=]\s*["']?)[^\s&"',}]+/gi,
    `$1$2${REDACTED}`,
  ],
  // <sessionId>...</sessionId> and <password>...</password> in SOAP bodies.
  [/<((?:\w+:)?(?:sessionId|password))>[^<]*<\/\1>/g, `<$1>${REDACTED}</$1>`],
  // user:password@ in URLs.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, `$1:${REDACTED}@`],
];

/**
 * Masks secrets in a string.
 *
 * @example
 * ```ts
 * redactString('Authorization: Bearer 00Dxx0000001gPL!AQ4AQ.abc');
 * // 'Authorization: [REDACTED]'
 * ```
 */
export function redactString(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) {
    out = out.replace(pattern, replacement);
  }
  return out;
}

/**
 * Returns a copy of `value` with secrets masked: values under secret-looking keys (password,
 * clientSecret, accessToken, privateKey, secretAccessKey, authorization, ...) at any depth, and
 * secret-looking text (Salesforce tokens `00D…!…`, PEM private keys, bearer credentials,
 * `password=` pairs, AWS secret keys) inside any string. Errors become plain objects with a
 * redacted `name`, `message`, `code` and `cause`. Cycles are cut. The input is not changed.
 *
 * @example
 * ```ts
 * redact({ user: 'a@b.c', auth: { password: 'hunter2', token: '00D000000000001!x' } });
 * // { user: 'a@b.c', auth: { password: '[REDACTED]', token: '[REDACTED]' } }
 * ```
 */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Error) {
      const out: Record<string, unknown> = {
        name: value.name,
        message: redactString(value.message),
      };
      const code = (value as { code?: unknown }).code;
      if (code !== undefined) out.code = code;
      if (value.cause !== undefined) out.cause = redactValue(value.cause, seen);
      return out;
    }
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [key, item] of value) {
        out.set(key, typeof key === 'string' && isSecretKey(key) ? REDACTED : redactValue(item, seen));
      }
      return out;
    }
    if (value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSecretKey(key) && item !== undefined && item !== null ? REDACTED : redactValue(item, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(normalizeKey(key));
}
