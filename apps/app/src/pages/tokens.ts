import { Router } from 'express';
import { decodeJwt, remainingSeconds } from './jwt.js';
import { opConfiguration, requireLogin, tokensOf, type PageDeps } from './context.js';
import { userInfo } from '../oidc/flow.js';
import * as client from 'openid-client';

export function tokenRoutes(deps: PageDeps): Router {
  const router = Router();

  router.get('/token', requireLogin, async (_req, res) => {
    const tokens = tokensOf(res);
    let info: Record<string, unknown> | undefined;
    let infoError: string | undefined;
    try {
      info = await userInfo(opConfiguration(deps.oidc), tokens);
    } catch (err) {
      infoError = userinfoProblem(err, deps.config.apiAudience);
    }
    res.set('Cache-Control', 'no-store').render('token', {
      title: 'ID token & userinfo',
      claims: tokens.idTokenClaims,
      claimsJson: JSON.stringify(tokens.idTokenClaims, null, 2),
      userinfoJson: info ? JSON.stringify(info, null, 2) : undefined,
      infoError,
    });
  });

  // Raw tokens on a page: development only unless DEBUG_TOKENS_PAGE=true (the route does not exist otherwise).
  if (deps.config.debugTokensPage) router.get('/debug/tokens', requireLogin, (req, res) => {
    const tokens = tokensOf(res);
    const access = decodeJwt(tokens.accessToken);
    const id = decodeJwt(tokens.idToken);
    const accessExp = access?.payload.exp ?? tokens.accessTokenExpiresAt;
    res.set('Cache-Control', 'no-store').render('debug-tokens', {
      title: 'Token debugger',
      refreshed: req.query.refreshed === '1',
      tokens,
      access,
      id,
      json: (v: unknown) => JSON.stringify(v, null, 2),
      accessRemaining: remainingSeconds(accessExp),
      idRemaining: remainingSeconds(id?.payload.exp),
      scopes: (tokens.scope ?? (typeof access?.payload.scope === 'string' ? access.payload.scope : '')).split(' ').filter(Boolean),
      hasRefreshToken: Boolean(tokens.refreshToken),
    });
  });

  return router;
}

function userinfoProblem(err: unknown, audience: string): string {
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0]?.parameters;
    const reason = [challenge?.error, challenge?.error_description].filter(Boolean).join(': ');
    return (
      `The identity provider's userinfo endpoint refused the access token (${reason || `HTTP ${err.status}`}). ` +
      `This app's access tokens are issued for the API (resource ${audience}); an OP may refuse them at userinfo. ` +
      'The ID token claims shown here were verified at login.'
    );
  }
  return `Userinfo could not be fetched: ${err instanceof Error ? err.message : 'unknown error'}`;
}
