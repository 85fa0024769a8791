// Hive Gateway (@graphql-hive/gateway, pinned in package.json) on Tandem's composed supergraph: the
// same job as router.yaml, for deployments that want a Node gateway. `npx hive-gateway supergraph`
// in this folder reads this file.
//
//   TANDEM_SUPERGRAPH   supergraph file (default ./supergraph.graphql, from compose.mjs)
//   TANDEM_JWKS_URL     the Tandem gateway's JWKS (default http://gateway:8000/.well-known/jwks.json)
//   TANDEM_ISSUER       the tokens' `iss` (default http://localhost:8000, as in docker-compose.yml)
//   PORT                listen port (default 4000)
import {
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  extractFromHeader,
  type GatewayPlugin,
} from "@graphql-hive/gateway";
import { GraphQLError } from "graphql";

const env = process.env;
const READ_SCOPES = ["matching:read", "scheduling:read", "consent:read", "analytics:read", "calendars:read"];

// The Tandem gateway opens /graphql to a token with any read scope (each subgraph then checks its own);
// this keeps the same door here, so a token without one is refused before any subgraph is called.
const requireReadScope: GatewayPlugin = {
  onExecute({ args, setResultAndStopExecution }) {
    const payload = (args.contextValue as { jwt?: { payload?: { scope?: string } } }).jwt?.payload;
    const scopes = new Set((payload?.scope ?? "").split(" "));
    if (!READ_SCOPES.some((scope) => scopes.has(scope))) {
      setResultAndStopExecution({
        errors: [
          new GraphQLError(`The access token needs one of the scopes ${READ_SCOPES.join(" ")}.`, {
            extensions: { code: "FORBIDDEN", http: { status: 403 } },
          }),
        ],
      });
    }
  },
};

export const gatewayConfig = defineConfig({
  supergraph: env.TANDEM_SUPERGRAPH ?? "./supergraph.graphql",
  host: "0.0.0.0",
  port: Number(env.PORT ?? 4000),
  graphqlEndpoint: "/graphql",
  healthCheckEndpoint: "/healthcheck",
  readinessCheckEndpoint: "/readiness",
  // The Tandem gateway is the OAuth server; this gateway only verifies its tokens.
  jwt: {
    signingKeyProviders: [
      createRemoteJwksSigningKeyProvider({
        jwksUri: env.TANDEM_JWKS_URL ?? "http://gateway:8000/.well-known/jwks.json",
      }),
    ],
    tokenLookupLocations: [extractFromHeader({ name: "authorization", prefix: "Bearer" })],
    tokenVerification: {
      issuer: env.TANDEM_ISSUER ?? "http://localhost:8000",
      algorithms: ["RS256", "ES256"],
    },
    reject: { missingToken: true, invalidToken: true },
    // The subgraphs verify the token themselves; its claims are not copied into subgraph requests.
    forward: { payload: false, token: false },
  },
  // Subgraphs verify the token, its scopes and every object-level read themselves: they get the
  // caller's own Authorization header.
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      authorization: request.headers.get("authorization"),
      "x-request-id": request.headers.get("x-request-id"),
    }),
  },
  plugins: () => [requireReadScope],
  // Limits comparable to the Tandem gateway's (max depth 12, cost 5000 with lists counted as 10).
  disableIntrospection: true,
  blockFieldSuggestions: true,
  maxDepth: 12,
  maxTokens: 15000,
  demandControl: {
    maxCost: 5000,
    listSize: 10,
    fieldCost: () => 1,
    typeCost: () => 0,
  },
  // Left at the default (masked): unmasked, a failed subgraph call's error carries the whole
  // subgraph request and response in `extensions`.
  graphiql: false,
  landingPage: false,
});
