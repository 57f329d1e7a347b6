import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random word characters (the shape `sf` accepts in a token). */
export function randomWord(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[(bytes[i] as number) % ALPHABET.length];
  return out;
}

export interface Session {
  token: string;
  userId: string;
  clientId: string;
  issuedAt: number;
  requests: number;
}

export interface SessionExpiry {
  afterRequests?: number;
  afterSeconds?: number;
}

/** Access and refresh tokens of the emulator. */
export class TokenStore {
  private readonly sessions = new Map<string, Session>();
  private readonly refreshTokens = new Map<string, { userId: string; clientId: string }>();
  private readonly codes = new Map<string, { userId: string; clientId: string; redirectUri: string }>();

  constructor(private readonly orgId: string) {}

  /** A new access token `00D...!...`: the 15-character org id, `!`, and random word characters. */
  issue(userId: string, clientId: string, token?: string): Session {
    const session: Session = {
      token: token ?? `${this.orgId.slice(0, 15)}!AQ${randomWord(94)}`,
      userId,
      clientId,
      issuedAt: Date.now(),
      requests: 0,
    };
    this.sessions.set(session.token, session);
    return session;
  }

  issueRefreshToken(userId: string, clientId: string): string {
    const token = `5Aep861${randomWord(80)}`;
    this.refreshTokens.set(token, { userId, clientId });
    return token;
  }

  useRefreshToken(token: string): { userId: string; clientId: string } | undefined {
    return this.refreshTokens.get(token);
  }

  issueCode(userId: string, clientId: string, redirectUri: string): string {
    const code = `aPrx${randomWord(60)}`;
    this.codes.set(code, { userId, clientId, redirectUri });
    return code;
  }

  useCode(code: string): { userId: string; clientId: string; redirectUri: string } | undefined {
    const value = this.codes.get(code);
    this.codes.delete(code);
    return value;
  }

  /** The oldest live session of a user (a persisted org keeps its printed token). */
  firstOf(userId: string): Session | undefined {
    for (const session of this.sessions.values()) if (session.userId === userId) return session;
    return undefined;
  }

  /** The oldest refresh token of a user. */
  firstRefreshTokenOf(userId: string): string | undefined {
    for (const [token, info] of this.refreshTokens) if (info.userId === userId) return token;
    return undefined;
  }

  revoke(token: string): void {
    this.sessions.delete(token);
    this.refreshTokens.delete(token);
  }

  /** The session of a token after counting this request, or undefined when unknown or expired. */
  check(token: string, expiry: SessionExpiry | undefined, count = true): Session | undefined {
    const session = this.sessions.get(token);
    if (!session) return undefined;
    if (count) session.requests++;
    if (expiry?.afterRequests !== undefined && session.requests > expiry.afterRequests) {
      this.sessions.delete(token);
      return undefined;
    }
    if (expiry?.afterSeconds !== undefined && Date.now() - session.issuedAt > expiry.afterSeconds * 1000) {
      this.sessions.delete(token);
      return undefined;
    }
    return session;
  }

  toJSON(): unknown {
    return {
      sessions: [...this.sessions.values()].map((s) => ({ token: s.token, userId: s.userId, clientId: s.clientId })),
      refreshTokens: [...this.refreshTokens.entries()],
    };
  }

  load(data: unknown): void {
    if (!data || typeof data !== 'object') return;
    const value = data as {
      sessions?: Array<{ token: string; userId: string; clientId: string }>;
      refreshTokens?: Array<[string, { userId: string; clientId: string }]>;
    };
    for (const s of value.sessions ?? []) this.issue(s.userId, s.clientId, s.token);
    for (const [token, info] of value.refreshTokens ?? []) this.refreshTokens.set(token, info);
  }
}
