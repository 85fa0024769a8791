// Composes the committed subgraph SDLs (services/<svc>/schema.graphql, gateway/schema.graphql) into a Federation 2
// supergraph for Apollo Router or Hive Gateway, with @apollo/composition (the library Rover uses).
//
//   node compose.mjs                                  # -> supergraph.graphql, Kubernetes service URLs
//   TANDEM_MATCHING_GRAPHQL_URL=http://127.0.0.1:8001/graphql node compose.mjs
//   node compose.mjs --url matching=http://127.0.0.1:8001/graphql --out /tmp/supergraph.graphql
//
// Errors, and hints at WARN level (composition succeeded but something is inconsistent between the
// subgraphs), are printed and end the run with a non-zero exit: nothing is written then.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "..", "..");
// Same names and port as deploy/k8s/<svc>.yaml and docker-compose.yml.
// The gateway serves its own subgraph (calendar connections) at /graphql/gateway.
const SUBGRAPHS = ["matching", "scheduling", "consent", "analytics", "gateway"];

function defaultUrl(name) {
  return name === "gateway" ? "http://gateway:8000/graphql/gateway" : `http://${name}:8000/graphql`;
}

function sdlPath(name) {
  return name === "gateway" ? join(REPO, "gateway", "schema.graphql") : join(REPO, "services", name, "schema.graphql");
}

function subgraphUrls(flags) {
  const urls = Object.fromEntries(SUBGRAPHS.map((name) => [name, defaultUrl(name)]));
  for (const name of SUBGRAPHS) {
    const fromEnv = process.env[`TANDEM_${name.toUpperCase()}_GRAPHQL_URL`];
    if (fromEnv) urls[name] = fromEnv;
  }
  for (const pair of flags) {
    const [name, url] = pair.split(/=(.*)/s);
    if (!SUBGRAPHS.includes(name) || !url) {
      throw new Error(`--url expects <subgraph>=<url> with one of ${SUBGRAPHS.join(", ")}, got ${pair}`);
    }
    urls[name] = url;
  }
  return urls;
}

function main() {
  const { values } = parseArgs({
    options: {
      url: { type: "string", multiple: true, default: [] },
      out: { type: "string", default: join(HERE, "supergraph.graphql") },
    },
  });
  const urls = subgraphUrls(values.url);
  const services = SUBGRAPHS.map((name) => {
    const path = sdlPath(name);
    return { name, url: urls[name], typeDefs: parse(readFileSync(path, "utf8")) };
  });

  const result = composeServices(services);
  const warnings = (result.hints ?? []).filter((hint) => hint.definition.level.name === "WARN");
  for (const hint of result.hints ?? []) {
    console.error(`hint ${hint.definition.code} (${hint.definition.level.name}): ${hint.message}`);
  }
  if (result.errors?.length) {
    for (const error of result.errors) {
      console.error(`error ${error.extensions?.code ?? "COMPOSITION"}: ${error.message}`);
    }
    console.error(`composition failed: ${result.errors.length} error(s)`);
    process.exit(1);
  }
  if (warnings.length) {
    console.error(`composition refused: ${warnings.length} hint(s) at WARN level`);
    process.exit(1);
  }
  writeFileSync(values.out, result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : `${result.supergraphSdl}\n`);
  console.log(`composed ${SUBGRAPHS.map((n) => `${n} (${urls[n]})`).join(", ")} -> ${values.out}`);
  if (values.out === join(HERE, "supergraph.graphql")) {
    syncConfigMap();
  }
}

// The Kubernetes ConfigMap carries router.yaml and the committed supergraph verbatim
// (tests/test_deploy.py checks it): rewrite its data from the two files, keep the rest of the manifest.
function syncConfigMap() {
  const manifest = join(REPO, "deploy", "k8s", "router.yaml");
  const text = readFileSync(manifest, "utf8");
  const split = text.indexOf("\n---\n");
  const head = text.slice(0, text.indexOf("\ndata:\n", 0) + "\ndata:\n".length);
  const block = (name) =>
    `  ${name}: |\n` +
    readFileSync(join(HERE, name), "utf8")
      .replace(/\n$/, "")
      .split("\n")
      .map((line) => (line ? `    ${line}` : ""))
      .join("\n") +
    "\n";
  writeFileSync(manifest, head + block("router.yaml") + block("supergraph.graphql") + text.slice(split + 1));
  console.log(`synced the ConfigMap in ${manifest}`);
}

main();
