import { OAuth2Server } from 'oauth2-mock-server';

/**
 * A real OAuth2/OpenID Connect server on a loopback port (oauth2-mock-server) with an RSA signing
 * key, whose userinfo endpoint answers what `account()` returns at the time of the request.
 */
export async function startOAuth2Provider(account: () => Record<string, unknown>): Promise<OAuth2Server> {
  const provider = new OAuth2Server();
  await provider.issuer.keys.generate('RS256');
  await provider.start(0, '127.0.0.1');
  provider.service.on('beforeUserinfo', (res) => {
    res.body = account();
  });
  return provider;
}
