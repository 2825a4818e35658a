// A real OpenID provider on 127.0.0.1 for the interoperability tests: panva's
// oidc-provider (OpenID Certified), configured for the device flow, nothing mocked.
// It prints its issuer URL on the first line of stdout once it listens.
//
// Clients:
//   interop-public    public client (token_endpoint_auth_method none)
//   interop-basic     client_secret_basic, secret "interop-secret"
//   interop-post      client_secret_post,  secret "interop-secret"
//   interop-expiring  public, device codes live 2 seconds
// All may use the device code and refresh token grants; refresh tokens are issued.
//
// The person at the verification page is played by one extra route, outside the
// provider: POST /interop/decide?user_code=ABCD-EFGH&decision=approve|deny. It does what
// the provider's own interaction would end with (a grant for account "ada", or
// access_denied), through the provider's public models.
import http from 'node:http';
import Provider from 'oidc-provider';

const GRANTS = ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'];
const client = (id, extra = {}) => ({
  client_id: id,
  grant_types: GRANTS,
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'none',
  ...extra,
});

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      client('interop-public'),
      client('interop-basic', { client_secret: 'interop-secret', token_endpoint_auth_method: 'client_secret_basic' }),
      client('interop-post', { client_secret: 'interop-secret', token_endpoint_auth_method: 'client_secret_post' }),
      client('interop-expiring'),
    ],
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: false } },
    scopes: ['openid', 'offline_access', 'profile'],
    findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      DeviceCode: (ctx, token, client) => (client && client.clientId === 'interop-expiring' ? 2 : 600),
      AccessToken: 3600,
      RefreshToken: 86400,
      Grant: 86400,
      IdToken: 3600,
    },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));

  const decide = async (request, response) => {
    const url = new URL(request.url, issuer);
    const userCode = (url.searchParams.get('user_code') || '').replace(/[^a-zA-Z]/g, '').toUpperCase();
    const code = await provider.DeviceCode.findByUserCode(userCode);
    if (!code) {
      response.writeHead(404).end('no such code');
      return;
    }
    if (url.searchParams.get('decision') === 'approve') {
      const scope = code.params.scope || '';
      const grant = new provider.Grant({ accountId: 'ada', clientId: code.clientId });
      grant.addOIDCScope(scope);
      code.scope = scope;
      code.accountId = 'ada';
      code.grantId = await grant.save();
      code.authTime = Math.floor(Date.now() / 1000);
    } else {
      code.error = 'access_denied';
      code.errorDescription = 'End-User aborted interaction';
    }
    await code.save();
    response.writeHead(200).end('decided');
  };

  const callback = provider.callback();
  server.on('request', (request, response) => {
    if (request.url.startsWith('/interop/decide')) {
      decide(request, response).catch((error) => response.writeHead(500).end(String(error)));
    } else {
      callback(request, response);
    }
  });
  console.log(issuer);
});
