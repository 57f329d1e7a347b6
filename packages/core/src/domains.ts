/** Second-level labels under which country-code domains register names (`example.co.uk`). */
const SECOND_LEVEL_LABELS = new Set(['co', 'com', 'org', 'net', 'gov', 'edu', 'ac', 'or', 'ne', 'go', 'gob', 'mil']);

/** Options of {@link extractDomain}. */
export interface ExtractDomainOptions {
  /** Keep only the registrable domain: `mail.eu.example.co.uk` -> `example.co.uk`. Default `false`. */
  removeSubdomains?: boolean;
  /** Drop a leading `www.`. Default `true`. */
  removeWww?: boolean;
}

/**
 * The host name of a URL, an e-mail address or a bare domain, in lower case; `null` when there is none.
 * Matching Accounts by website is the usual use.
 *
 * @example
 * ```ts
 * extractDomain('https://www.Example.com/about'); // 'example.com'
 * extractDomain('shop.example.co.uk', { removeSubdomains: true }); // 'example.co.uk'
 * extractDomain('jane@sales.example.com', { removeSubdomains: true }); // 'example.com'
 * ```
 */
export function extractDomain(input: string | null | undefined, options: ExtractDomainOptions = {}): string | null {
  const { removeSubdomains = false, removeWww = true } = options;
  const text = input?.trim();
  if (!text) return null;
  const emailHost = /^[^\s@/]+@([^\s@/]+)$/.exec(text)?.[1];
  const candidate = emailHost ?? text;
  let host: string;
  try {
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(candidate) ? candidate : `http://${candidate}`).hostname;
  } catch {
    return null;
  }
  host = host.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[') || /^\d+(\.\d+){3}$/.test(host)) return host; // an IP address has no subdomains
  if (!host.includes('.')) return null;
  if (removeWww && host.startsWith('www.')) host = host.slice(4);
  if (removeSubdomains) {
    const labels = host.split('.');
    const tld = labels.at(-1) ?? '';
    const second = labels.at(-2) ?? '';
    const keep = tld.length === 2 && SECOND_LEVEL_LABELS.has(second) && labels.length >= 3 ? 3 : 2;
    host = labels.slice(-keep).join('.');
  }
  return host;
}
