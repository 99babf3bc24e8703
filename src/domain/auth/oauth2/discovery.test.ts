// The discovery document's endpoints under an https issuer. The network is a stand-in fetch here:
// the loopback OIDC server (oidc.test.ts) serves plain http, and this policy concerns https.
import { describe, expect, it } from 'vitest';
import { discoverOidc } from './discovery.ts';

const ISSUER = 'https://id.example.test';

/** A fetch that answers the well-known path with `document`, as a provider would. */
function serving(document: Record<string, unknown>): typeof fetch {
  return async (input) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url !== `${ISSUER}/.well-known/openid-configuration`) return new Response('not found', { status: 404 });
    return new Response(JSON.stringify(document), { headers: { 'content-type': 'application/json' } });
  };
}

describe('discoverOidc', () => {
  it('takes an https issuer\'s endpoints, and drops any it names over http (keys could be swapped on the way)', async () => {
    const metadata = await discoverOidc(
      serving({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/authorize`,
        token_endpoint: `${ISSUER}/token`,
        userinfo_endpoint: 'http://id.example.test/userinfo',
        jwks_uri: 'http://id.example.test/jwks',
      }),
      ISSUER,
    );
    expect(metadata).toEqual({
      issuer: ISSUER,
      authorizationEndpoint: `${ISSUER}/authorize`,
      tokenEndpoint: `${ISSUER}/token`,
      userInfoEndpoint: '',
      jwksURI: '',
    });
  });

  it('refuses a document that names another issuer', async () => {
    await expect(discoverOidc(serving({ issuer: 'https://other.example.test', token_endpoint: `${ISSUER}/token` }), ISSUER)).rejects.toThrow();
  });
});
