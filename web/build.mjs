// Bundle the map page into ../app/web/static/bundle (app.js, app.css, manifest.json).
// The manifest's source_hash covers every input (sources, lock file, this script): a Python
// test compares it with the sources, so a stale committed bundle fails `make test`.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "app", "web", "static", "bundle");

/** Inputs of the bundle, as paths relative to web/, sorted (same rule as tests/browser/test_bundle.py). */
function inputs() {
  const files = ["build.mjs", "package.json", "package-lock.json", "tsconfig.json"];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(here, path).split("\\").join("/"));
    }
  };
  walk(join(here, "src"));
  return files.sort();
}

function sourceHash() {
  const h = createHash("sha256");
  for (const f of inputs()) {
    h.update(f + "\0");
    h.update(readFileSync(join(here, f)));
    h.update("\0");
  }
  return h.digest("hex");
}

const options = {
  entryPoints: { app: join(here, "src", "main.ts") },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  outdir: out,
  legalComments: "eof",
  logLevel: "info",
};

mkdirSync(out, { recursive: true });
if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
  const pkg = JSON.parse(readFileSync(join(here, "node_modules", "maplibre-gl", "package.json"), "utf8"));
  const manifest = {
    source_hash: sourceHash(),
    maplibre_gl: pkg.version,
    esbuild: esbuild.version,
    built_with_node: process.version,
  };
  writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  console.log(`manifest: ${manifest.source_hash.slice(0, 12)}`);
}
