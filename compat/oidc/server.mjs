// A real OpenID Connect provider (the certified `oidc-provider` package) for the social sign-in
// tests. Configuration comes as JSON in OIDC_CONFIG:
//   {"clients": [{client_id, client_secret, redirect_uris, id_token_signed_response_alg?}],
//    "accounts": {"<sub>": {email, email_verified, name, picture}}}
// It listens on a free port of 127.0.0.1 and prints one line, {"issuer": "http://127.0.0.1:<port>"},
// once it answers. Login and consent are a minimal custom interaction: the account is the
// authorization request's `login_hint` (default "alice"), consent is granted for the requested
// scopes. Everything else (authorization, PKCE, codes, tokens, ID tokens, JWKS, userinfo, refresh)
// is oidc-provider's own.
import { createServer } from "node:http";
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const config = JSON.parse(process.env.OIDC_CONFIG ?? "{}");
const accounts = config.accounts ?? {};

function claimsOf(sub) {
  return {
    sub,
    ...(accounts[sub] ?? {
      email: `${sub}@example.com`,
      email_verified: true,
      name: sub,
    }),
  };
}

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });

const server = createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: (config.clients ?? []).map((c) => ({
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
    ...c,
  })),
  jwks: { keys: [{ ...rsa, kid: "rsa-1", use: "sig", alg: "RS256" }, { ...ec, kid: "ec-1", use: "sig", alg: "ES256" }] },
  enabledJWA: { idTokenSigningAlgValues: ["RS256", "ES256"] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "picture"],
  },
  // Put the scope's claims into the ID token too, as Google does (its profile comes from there).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => false },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Grant: 86400, Interaction: 600, Session: 86400 },
  async findAccount(_ctx, sub) {
    return { accountId: sub, async claims() { return claimsOf(sub); } };
  },
});
provider.proxy = false;

const oidc = provider.callback();
server.on("request", async (req, res) => {
  if (!req.url.startsWith("/interaction/")) return oidc(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    const accountId = details.params.login_hint || "alice";
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(String(details.params.scope ?? "openid"));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
