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
  const code = await new Promise<string>((resolveCode, reject) => {
    const server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', redirectUri).searchParams;
      if (!req.url?.startsWith('/OauthRedirect')) {
        res.writeHead(404).end();
        return;
      }
      const finish = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(text);
        server.close();
        server.closeAllConnections();
      };
      if (query.get('state') !== state) {
        finish(400, 'kicksaw: the login answer does not belong to this login (state mismatch).');
        reject(new CliError('The browser login answered with a wrong state', { code: 'LOGIN_STATE_MISMATCH' }));
        return;
      }
      const received = query.get('code');
      if (!received) {
        finish(400, `kicksaw: login failed: ${query.get('error_description') ?? query.get('error') ?? 'no code'}`);
        reject(
          new CliError(`The browser login failed: ${query.get('error_description') ?? 'no code'}`, {
            code: 'LOGIN_FAILED',
          }),
        );
        return;
      }
      finish(200, 'kicksaw: logged in. You can close this tab.');
      resolveCode(received);
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
      if (o.browser && ctx.io.stderr.isTTY) openBrowser(url);
    });
    ctx.signal.addEventListener('abort', () => {
      server.close();
      reject(new CliError('Login cancelled', { code: 'CANCELLED' }));
    });
  });
  const token = await oauth2.requestToken(code, { code_verifier: verifier } as never);
  return { instanceUrl: token.instance_url, refreshToken: token.refresh_token as string | undefined };
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
