// Sessions: password and key-pair login, token renewal with the master token, the session parameters the
// driver reads back from every reply, authentication of each request, and closing a session.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine.js';
import { jwtProblem, type UserKey } from '../jwt.js';
import { newToken, type Session } from '../session.js';
import type { Runtime } from '../statements/outcome.js';
import { setTimeZone, useSchema } from '../statements/session.js';
import { rollbackTransaction } from '../transactions.js';
import { failure, readBody, sendJson, success, tokenOf } from './http.js';

/** Who may log in and what a new session starts with. */
export interface LoginSettings {
  username: string;
  password: string;
  keys: UserKey[];
  /** The clock of login checks (a JWT's expiry), epoch milliseconds. */
  clock: () => number;
  database: string;
  schema: string;
  warehouse: string;
  role: string;
  sessionValidity: number;
  masterValidity: number;
  /** `CLIENT_STAGE_ARRAY_BINDING_THRESHOLD` sent to the driver. */
  threshold: number;
}

const DRIVER_PARAMETERS = (threshold: number) => [
  { name: 'TIMEZONE', value: 'UTC' },
  { name: 'TIMESTAMP_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM' },
  { name: 'TIMESTAMP_NTZ_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3' },
  { name: 'TIMESTAMP_LTZ_OUTPUT_FORMAT', value: '' },
  { name: 'TIMESTAMP_TZ_OUTPUT_FORMAT', value: '' },
  { name: 'DATE_OUTPUT_FORMAT', value: 'YYYY-MM-DD' },
  { name: 'TIME_OUTPUT_FORMAT', value: 'HH24:MI:SS' },
  { name: 'BINARY_OUTPUT_FORMAT', value: 'HEX' },
  { name: 'CLIENT_RESULT_CHUNK_SIZE', value: 160 },
  { name: 'CLIENT_STAGE_ARRAY_BINDING_THRESHOLD', value: threshold },
  { name: 'CLIENT_SESSION_KEEP_ALIVE', value: false },
  { name: 'CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY', value: 3600 },
  { name: 'QUERY_CONTEXT_CACHE_SIZE', value: 5 },
];

/** A name as Snowflake folds it: upper case unless written in double quotes. */
export function fold(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name.toUpperCase();
}

/** The open sessions, by id, session token and master token. */
export class Sessions {
  private readonly byId = new Map<number, Session>();
  private readonly byToken = new Map<string, Session>();
  private readonly byMaster = new Map<string, Session>();
  private nextId = 1;

  constructor(
    private readonly settings: LoginSettings,
    private readonly engine: Engine,
    private readonly runtime: Runtime,
    /** Called when a session closes, after its transaction is rolled back and its connection closed. */
    private readonly onClose: (session: Session) => Promise<void>,
  ) {}

  all(): Session[] {
    return [...this.byId.values()];
  }

  /** The driver reads its session parameters back from every reply (JS_TREAT_INTEGER_AS_BIGINT, TIMEZONE, ...). */
  parameters(session: Session): Array<{ name: string; value: unknown }> {
    const list: Array<{ name: string; value: unknown }> = DRIVER_PARAMETERS(this.settings.threshold).filter(
      (p) => !session.parameters.has(p.name),
    );
    for (const [name, value] of session.parameters) list.push({ name, value });
    return list;
  }

  /** The session of a request's token, or why there is none (Snowflake's code and message). */
  authenticate(request: IncomingMessage): Session | { code: string; message: string } {
    const token = tokenOf(request);
    if (!token) return { code: '390101', message: 'Authorization header not found in the request data.' };
    const session = this.byToken.get(token);
    if (!session)
      return { code: '390104', message: 'Invalid session token. The session no longer exists or was closed.' };
    if (Date.now() >= session.tokenExpiresAt)
      return { code: '390112', message: 'Session token has expired. Renew it with the master token.' };
    return session;
  }

  async close(session: Session): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    this.byId.delete(session.id);
    this.byToken.delete(session.token);
    this.byMaster.delete(session.masterToken);
    await session.queue.catch(() => undefined);
    // A session that ends inside a transaction rolls it back, as Snowflake does, and so frees its locks.
    await rollbackTransaction(session, this.runtime.locks).catch(() => undefined);
    try {
      session.connection.closeSync();
    } catch {
      // already closed
    }
    await this.runtime.stages.dropSession(session);
    await this.onClose(session);
  }

  /** `POST /session/v1/login-request`: password or key-pair (JWT) login. */
  async login(http: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const body = (await readBody(http)) as { data?: Record<string, unknown> };
    const data = body.data ?? {};
    const loginName = String(data.LOGIN_NAME ?? '');
    const refusal = this.refusal(data, loginName);
    if (refusal) return sendJson(http, response, 200, refusal);
    const session = await this.open(loginName, url);
    const requested = (data.SESSION_PARAMETERS ?? {}) as Record<string, string | number | boolean>;
    for (const [key, value] of Object.entries(requested)) {
      if (key.toUpperCase() === 'TIMEZONE') await setTimeZone(session, String(value)).catch(() => undefined);
      else session.parameters.set(key.toUpperCase(), value);
    }
    await this.useStartingSchema(session, url);
    this.byId.set(session.id, session);
    this.byToken.set(session.token, session);
    this.byMaster.set(session.masterToken, session);
    sendJson(http, response, 200, success(this.loginData(session)));
  }

  /** Why a login is refused (the reply), or undefined when its credentials are good. */
  private refusal(data: Record<string, unknown>, loginName: string): Record<string, unknown> | undefined {
    const { username, password, keys, clock } = this.settings;
    const authenticator = String(data.AUTHENTICATOR ?? 'SNOWFLAKE').toUpperCase();
    if (authenticator === 'SNOWFLAKE_JWT') {
      const problem =
        loginName.toUpperCase() !== username.toUpperCase()
          ? `unknown user ${loginName}`
          : jwtProblem(String(data.TOKEN ?? ''), {
              account: String(data.ACCOUNT_NAME ?? ''),
              user: loginName,
              keys,
              nowMs: clock(),
            });
      // Snowflake says no more than this to the client, whatever the reason.
      return problem ? failure('390144', 'JWT token is invalid.') : undefined;
    }
    if (authenticator !== 'SNOWFLAKE' && authenticator !== 'USERNAME_PASSWORD_MFA') {
      return failure(
        '390190',
        `unsupported in the local Snowflake: the ${authenticator} authenticator (use a password or a key pair)`,
      );
    }
    if (loginName.toUpperCase() !== username.toUpperCase() || String(data.PASSWORD ?? '') !== password)
      return failure('390100', 'Incorrect username or password was specified.');
    return undefined;
  }

  private async open(loginName: string, url: URL): Promise<Session> {
    const { sessionValidity, masterValidity, role, warehouse } = this.settings;
    const connection = await this.engine.connect();
    const now = Date.now();
    return {
      id: this.nextId++,
      token: newToken('ver:1-hint:1-ETMsDgAAA'),
      masterToken: newToken('ver:1-hint:1-ETMsDgAAM'),
      tokenExpiresAt: now + sessionValidity * 1000,
      masterExpiresAt: now + masterValidity * 1000,
      user: loginName.toUpperCase(),
      role: (url.searchParams.get('roleName') || role).toUpperCase(),
      warehouse: (url.searchParams.get('warehouse') || warehouse).toUpperCase(),
      database: undefined,
      schema: undefined,
      connection,
      inTransaction: false,
      parameters: new Map(),
      queue: Promise.resolve(),
      running: undefined,
      closed: false,
    };
  }

  /** The database and schema the login names (or the defaults), as far as they exist. */
  private async useStartingSchema(session: Session, url: URL): Promise<void> {
    const wantDatabase = url.searchParams.get('databaseName') ?? this.settings.database;
    const wantSchema = url.searchParams.get('schemaName') ?? this.settings.schema;
    try {
      if (wantDatabase) await useSchema(session, this.runtime, fold(wantDatabase), fold(wantSchema || 'PUBLIC'));
    } catch {
      try {
        if (wantDatabase) await useSchema(session, this.runtime, fold(wantDatabase), undefined);
      } catch {
        // Snowflake logs in without a current database when the named one does not exist
      }
    }
  }

  private loginData(session: Session): Record<string, unknown> {
    return {
      token: session.token,
      masterToken: session.masterToken,
      validityInSeconds: this.settings.sessionValidity,
      masterValidityInSeconds: this.settings.masterValidity,
      sessionId: session.id,
      displayUserName: session.user,
      serverVersion: this.runtime.version,
      firstLogin: false,
      remMeToken: null,
      remMeValidityInSeconds: 0,
      healthCheckInterval: 45,
      newClientForUpgrade: null,
      idToken: null,
      idTokenValidityInSeconds: 0,
      responseData: null,
      mfaToken: null,
      mfaTokenValidityInSeconds: 0,
      parameters: this.parameters(session),
      sessionInfo: {
        databaseName: session.database ?? null,
        schemaName: session.schema ?? null,
        warehouseName: session.warehouse,
        roleName: session.role,
      },
    };
  }

  /** `POST /session/token-request`: a new session token for the master token. */
  async renew(http: IncomingMessage, response: ServerResponse): Promise<void> {
    await readBody(http);
    const session = this.byMaster.get(tokenOf(http) ?? '');
    if (!session)
      return sendJson(
        http,
        response,
        200,
        failure('390111', 'Session no longer exists. New login required to access the service.'),
      );
    if (Date.now() >= session.masterExpiresAt)
      return sendJson(
        http,
        response,
        200,
        failure('390114', 'Authentication token has expired.  The user must authenticate again.'),
      );
    const { sessionValidity } = this.settings;
    this.byToken.delete(session.token);
    session.token = newToken('ver:1-hint:1-ETMsDgAAA');
    session.tokenExpiresAt = Date.now() + sessionValidity * 1000;
    this.byToken.set(session.token, session);
    const masterSeconds = Math.max(0, Math.floor((session.masterExpiresAt - Date.now()) / 1000));
    sendJson(
      http,
      response,
      200,
      success({
        sessionToken: session.token,
        token: session.token,
        validityInSecondsST: sessionValidity,
        validityInSeconds: sessionValidity,
        masterToken: session.masterToken,
        validityInSecondsMT: masterSeconds,
        masterValidityInSeconds: masterSeconds,
        sessionId: session.id,
      }),
    );
  }
}
