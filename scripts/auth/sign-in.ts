import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Role } from '../../lambdas/shared/access';
import type { LocalEndpoints } from '../../local/runtime';

/** Where to sign in: a user pool app client, on AWS or on the local stand-in (`endpoint`). */
export interface SignInTarget {
  readonly region: string;
  readonly clientId: string;
  /** The local Cognito stand-in's endpoint. @default - Cognito in `region` */
  readonly endpoint?: string;
}

/** Tokens of a sign-in. */
export interface SignedIn {
  readonly idToken: string;
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly expiresIn: number;
}

/** A sign-in Cognito refused or that needs something this client cannot give; the message says what. */
export class SignInError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignInError';
  }
}

/** What the challenges of a sign-in need, when Cognito asks. */
export interface ChallengeAnswers {
  /** The TOTP code of the user's authenticator app (pools with MFA). */
  readonly mfaCode?: () => Promise<string>;
  /** A new password, for a user still on the temporary one an admin gave. */
  readonly newPassword?: () => Promise<string>;
}

function tokensOf(result: AuthenticationResultType | undefined): SignedIn {
  if (!result?.IdToken || !result.AccessToken) throw new SignInError('Cognito answered without tokens');
  return {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    ...(result.RefreshToken ? { refreshToken: result.RefreshToken } : {}),
    expiresIn: result.ExpiresIn ?? 0,
  };
}

/**
 * Signs `email` in with its password (InitiateAuth USER_PASSWORD_AUTH), answering the
 * NEW_PASSWORD_REQUIRED and SOFTWARE_TOKEN_MFA challenges through `answers`. Throws SignInError
 * naming the reason (wrong password, a challenge with no answer), or the SDK's error for a network failure.
 */
export async function signIn(target: SignInTarget, email: string, password: string, answers: ChallengeAnswers = {}): Promise<SignedIn> {
  const client = new CognitoIdentityProviderClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  try {
    let answer = await client
      .send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: target.clientId,
          AuthParameters: { USERNAME: email, PASSWORD: password },
        }),
      )
      .catch((error: unknown) => {
        if ((error as { name?: string }).name === 'NotAuthorizedException') {
          throw new SignInError(`${email}: ${(error as Error).message}`, { cause: error });
        }
        throw error;
      });
    // At most two challenges in a row (a new password, then MFA).
    for (let step = 0; step < 3 && answer.ChallengeName !== undefined; step += 1) {
      const name = answer.ChallengeName;
      const username = answer.ChallengeParameters?.USER_ID_FOR_SRP ?? email;
      let responses: Record<string, string>;
      if (name === 'NEW_PASSWORD_REQUIRED' && answers.newPassword) {
        responses = { USERNAME: username, NEW_PASSWORD: await answers.newPassword() };
      } else if (name === 'SOFTWARE_TOKEN_MFA' && answers.mfaCode) {
        responses = { USERNAME: username, SOFTWARE_TOKEN_MFA_CODE: await answers.mfaCode() };
      } else {
        throw new SignInError(
          name === 'MFA_SETUP'
            ? `${email} must set up MFA first: sign in once on the dashboard (managed login), which shows the QR code`
            : name === 'NEW_PASSWORD_REQUIRED'
              ? `${email} still has a temporary password: give --new-password (or answer the prompt) to set a permanent one`
              : `Cognito asks for ${name}, which this command cannot answer (give --mfa-code for SOFTWARE_TOKEN_MFA)`,
        );
      }
      answer = await client.send(
        new RespondToAuthChallengeCommand({
          ClientId: target.clientId,
          ChallengeName: name,
          Session: answer.Session,
          ChallengeResponses: responses,
        }),
      );
    }
    return tokensOf(answer.AuthenticationResult);
  } finally {
    client.destroy();
  }
}

/**
 * An ID token of the local demo user of `role` (from `.local/endpoints.json`), signed in at the
 * local Cognito stand-in. Throws SignInError when the endpoints list no such user.
 */
export async function localIdToken(endpoints: Pick<LocalEndpoints, 'cognito' | 'users' | 'region'>, role: Role): Promise<string> {
  const user = endpoints.users.find((u) => u.role === role);
  if (!user) throw new SignInError(`no local demo user has the role ${role} (roles: ${endpoints.users.map((u) => u.role).join(', ')})`);
  const target = { region: endpoints.cognito.region, clientId: endpoints.cognito.clients.cli, endpoint: endpoints.cognito.endpoint };
  return (await signIn(target, user.email, user.password)).idToken;
}
