import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';

// `kicksaw org login --login-url URL --client-id ID` without a secret: the OAuth web server flow with PKCE in
// the user's browser, its answer received by a one-shot callback server on 127.0.0.1.

/** The browser login (OAuth web server flow with PKCE): a local callback server receives the code. */
export async function webLogin(
  ctx: CommandContext,
  o: { clientId?: string; callbackPort: string; browser: boolean },
  loginUrl: string,
) {
  const port = Number(o.callbackPort);
  const redirectUri = `http://localhost:${port}/OauthRedirect`;
  const { OAuth2 } = await import('jsforce');
  const oauth2 = new OAuth2({ loginUrl, clientId: o.clientId as string, redirectUri });
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('hex');
  const url = oauth2.getAuthorizationUrl({
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  } as never);
  const code = await receiveCode(ctx, { port, redirectUri, state, url, browser: o.browser });
  const token = await oauth2.requestToken(code, { code_verifier: verifier } as never);
  return { instanceUrl: token.instance_url, refreshToken: token.refresh_token as string | undefined };
}

/**
 * Listens on 127.0.0.1 for the one login answer (printing the address to open, and opening it when asked and
 * on a terminal) and resolves to its code; rejects on a wrong state, a failed login, a busy port or an abort.
 */
function receiveCode(
  ctx: CommandContext,
  login: { port: number; redirectUri: string; state: string; url: string; browser: boolean },
): Promise<string> {
  const { port, redirectUri, state, url } = login;
  return new Promise<string>((resolveCode, reject) => {
    const server = createServer((req, res) => {
      if (!req.url?.startsWith('/OauthRedirect')) {
        res.writeHead(404).end();
        return;
      }
      const answer = callbackAnswer(new URL(req.url ?? '/', redirectUri).searchParams, state);
      res
        .writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
        .end(answer.text);
      server.close();
      server.closeAllConnections();
      if (answer.code !== undefined) resolveCode(answer.code);
      else reject(answer.error);
    });
    server.once('error', (error) =>
      reject(
        new CliError(
          `Cannot listen on ${redirectUri} for the login answer (${(error as NodeJS.ErrnoException).code})`,
          {
            code: 'CALLBACK_PORT_BUSY',
            hint: 'Pass another --callback-port (the connected app must list that callback URL).',
          },
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      ctx.out.note(`Open this address to log in (waiting for the answer on ${redirectUri}):\n${url}`);
      if (login.browser && ctx.io.stderr.isTTY) openBrowser(url);
    });
    ctx.signal.addEventListener('abort', () => {
      server.close();
      reject(new CliError('Login cancelled', { code: 'CANCELLED' }));
    });
  });
}

/** What the callback page says to the browser, and the code the login received or the error it ends with. */
function callbackAnswer(
  query: URLSearchParams,
  state: string,
):
  | { status: number; text: string; code: string }
  | { status: number; text: string; code?: undefined; error: CliError } {
  if (query.get('state') !== state) {
    return {
      status: 400,
      text: 'kicksaw: the login answer does not belong to this login (state mismatch).',
      error: new CliError('The browser login answered with a wrong state', { code: 'LOGIN_STATE_MISMATCH' }),
    };
  }
  const received = query.get('code');
  if (!received) {
    return {
      status: 400,
      text: `kicksaw: login failed: ${query.get('error_description') ?? query.get('error') ?? 'no code'}`,
      error: new CliError(`The browser login failed: ${query.get('error_description') ?? 'no code'}`, {
        code: 'LOGIN_FAILED',
      }),
    };
  }
  return { status: 200, text: 'kicksaw: logged in. You can close this tab.', code: received };
}

/** Opens the address in the desktop's browser, if there is one; a failure to open is silent (the address is printed). */
function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  import('node:child_process').then(({ spawn }) => {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  });
}
