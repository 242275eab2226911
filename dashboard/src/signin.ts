/**
 * The dashboard's sign-in in the browser: redirects to the managed login (authorization code flow
 * with PKCE S256), handles its callback (state checked, code exchanged once), keeps the ID and
 * access tokens in memory and the refresh token in sessionStorage (this tab only), refreshes the ID
 * token before it expires, and signs out through the managed login's /logout. The pure parts are in
 * auth.ts; what is stored where, and why, is in docs/security.md ("Dashboard sign-in").
 */
import {
  authorizeUrl,
  challengeOf,
  codeExchangeBody,
  identityOf,
  isExpired,
  logoutUrl,
  parseCallback,
  parseTokenAnswer,
  randomString,
  refreshBody,
  refreshDelayMs,
  SignInError,
  withoutCallbackParams,
  type AuthConfig,
  type Identity,
  type Callback,
  type PendingSignIn,
  type TokenSet,
} from './auth';

/** Retry a refresh that could not reach the sign-in service after this long. */
const RETRY_MS = 30_000;
/** A 401 within this long of getting a token does not refresh again (no refresh loop when the API refuses fresh tokens). */
const MIN_REFRESH_INTERVAL_MS = 30_000;
const TIMEOUT_MS = 15_000;

/** How the page ends up after {@link SignIn.start}. */
export type StartResult = 'signed-in' | 'redirecting' | 'signed-out';

/** A callback taken from the address by {@link SignIn.takeCallback}, with the sign-in this tab started. */
export interface Landing {
  readonly callback: Callback;
  readonly pending: PendingSignIn | undefined;
}

/** The signed-in user of this tab, and the sign-in and sign-out redirects. */
export class SignIn {
  private idToken: string | undefined;
  private current: Identity | undefined;
  private timer: number | undefined;
  private refreshing: Promise<void> | undefined;
  /** When the current tokens were received (epoch ms). */
  private receivedAt = 0;
  private readonly keys: { pending: string; refresh: string; signedOut: string };

  constructor(
    private readonly auth: AuthConfig,
    stage: string,
    /** Called when the user or their token changes (undefined: signed out). */
    private readonly onChange: (identity: Identity | undefined) => void,
    /** Called when a refresh failed for good and the page is sent to sign in again. */
    private readonly onExpired: (error: SignInError) => void,
  ) {
    const prefix = `uba-dashboard:${stage}`;
    this.keys = { pending: `${prefix}:pending-sign-in`, refresh: `${prefix}:refresh-token`, signedOut: `${prefix}:signed-out` };
  }

  /** The dashboard's own address, registered as the app client's callback and sign-out URL. */
  private get redirectUri(): string {
    return `${location.origin}/`;
  }

  /** The current ID token while it is valid, for the `Authorization` header. */
  token(): string | undefined {
    return this.current && !isExpired(this.current.exp, Date.now(), 0) ? this.idToken : undefined;
  }

  /** Who is signed in. */
  identity(): Identity | undefined {
    return this.current;
  }

  /**
   * Takes the managed login's answer (`code` or `error`, and `state`) out of the address and puts
   * back the address the sign-in started from (`?date=…#reports`), so the page reads its controls
   * from it. Synchronous: call it before reading the address.
   */
  takeCallback(): Landing {
    const callback = parseCallback(location.search);
    if (callback.kind === 'none') return { callback, pending: undefined };
    const pending = this.takePending();
    const restored =
      pending && pending.state === callback.state ? pending.returnTo : `${withoutCallbackParams(location.search)}${location.hash}`;
    history.replaceState(null, '', `${location.pathname}${restored}`);
    return { callback, pending };
  }

  /**
   * Finishes a sign-in coming back from the managed login (`landing`, from {@link takeCallback}), or
   * resumes the tab's session with its refresh token, or (unless the user signed out) starts a
   * sign-in. Rejects with a SignInError when the callback is not this tab's (state differs) or the
   * managed login answered an error.
   */
  async start(landing: Landing): Promise<StartResult> {
    const { callback, pending } = landing;
    if (callback.kind !== 'none') {
      if (!pending || pending.state !== callback.state) {
        throw new SignInError('the sign-in answer does not belong to a sign-in started in this tab (state differs)');
      }
      if (callback.kind === 'error') {
        throw new SignInError(
          `the sign-in failed: ${callback.error}${callback.description ? ` (${callback.description})` : ''}`,
          callback.error,
        );
      }
      const tokens = await this.tokenRequest(codeExchangeBody(this.auth, callback.code, this.redirectUri, pending.verifier));
      this.use(tokens);
      return 'signed-in';
    }
    if (sessionStorage.getItem(this.keys.refresh)) {
      try {
        await this.refresh();
        return 'signed-in';
      } catch (error) {
        if (!(error instanceof SignInError) || error.oauthError === undefined) throw error;
        // The refresh token is no good any more: sign in again.
      }
    }
    if (sessionStorage.getItem(this.keys.signedOut)) return 'signed-out';
    await this.beginSignIn();
    return 'redirecting';
  }

  /** Sends the browser to the managed login, remembering the state, the PKCE verifier and where to come back to. */
  async beginSignIn(): Promise<void> {
    const verifier = randomString(32);
    const pending: PendingSignIn = {
      state: randomString(16),
      verifier,
      returnTo: `${withoutCallbackParams(location.search)}${location.hash}`,
    };
    sessionStorage.removeItem(this.keys.signedOut);
    sessionStorage.setItem(this.keys.pending, JSON.stringify(pending));
    location.assign(authorizeUrl(this.auth, this.redirectUri, pending.state, await challengeOf(verifier)));
  }

  /** Forgets the tokens of this tab and ends the managed login's session (back to this page, signed out). */
  signOut(): void {
    this.clear();
    sessionStorage.setItem(this.keys.signedOut, '1');
    location.assign(logoutUrl(this.auth, this.redirectUri));
  }

  /**
   * Gets a new ID token now, after the API answered 401 (unless the tokens are fresh: then the
   * API refuses them for another reason, and refreshing again would loop); when the refresh token is
   * refused, signs in again.
   */
  refreshNow(): Promise<void> {
    if (this.current && Date.now() - this.receivedAt < MIN_REFRESH_INTERVAL_MS) return Promise.resolve();
    return this.refreshOnce();
  }

  /** One refresh at a time: concurrent calls share it. */
  private refreshOnce(): Promise<void> {
    this.refreshing ??= this.refresh()
      .catch((error: unknown) => this.refreshFailed(error))
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async refresh(): Promise<void> {
    const refreshToken = sessionStorage.getItem(this.keys.refresh);
    if (!refreshToken) throw new SignInError('no refresh token in this tab', 'no_refresh_token');
    const tokens = await this.tokenRequest(refreshBody(this.auth, refreshToken));
    this.use(tokens);
  }

  private refreshFailed(error: unknown): void {
    if (error instanceof SignInError && error.oauthError !== undefined) {
      this.clear();
      this.onExpired(error);
      void this.beginSignIn();
      return;
    }
    // The sign-in service could not be reached: try again while the token lasts.
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refreshOnce(), RETRY_MS);
  }

  /** POSTs a form to the token endpoint; rejects with a SignInError (with the OAuth error when there is one). */
  private async tokenRequest(body: URLSearchParams): Promise<TokenSet> {
    let response: Response;
    try {
      response = await fetch(`${this.auth.domain}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        cache: 'no-store',
        credentials: 'omit',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new SignInError(`the sign-in service at ${this.auth.domain} is unreachable`);
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      json = undefined;
    }
    return parseTokenAnswer(response.status, json);
  }

  /** Takes the tokens: ID token in memory, refresh token in sessionStorage, the next refresh scheduled. */
  private use(tokens: TokenSet): void {
    const identity = identityOf(tokens.idToken);
    this.idToken = tokens.idToken;
    this.current = identity;
    this.receivedAt = Date.now();
    if (tokens.refreshToken) sessionStorage.setItem(this.keys.refresh, tokens.refreshToken);
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refreshOnce(), refreshDelayMs(identity.iat, identity.exp, Date.now()));
    this.onChange(identity);
  }

  private takePending(): PendingSignIn | undefined {
    const raw = sessionStorage.getItem(this.keys.pending);
    sessionStorage.removeItem(this.keys.pending);
    if (!raw) return undefined;
    try {
      const value = JSON.parse(raw) as Partial<PendingSignIn>;
      return typeof value.state === 'string' && typeof value.verifier === 'string' && typeof value.returnTo === 'string'
        ? { state: value.state, verifier: value.verifier, returnTo: value.returnTo }
        : undefined;
    } catch {
      return undefined;
    }
  }

  private clear(): void {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    this.idToken = undefined;
    this.current = undefined;
    sessionStorage.removeItem(this.keys.refresh);
    sessionStorage.removeItem(this.keys.pending);
    this.onChange(undefined);
  }
}
