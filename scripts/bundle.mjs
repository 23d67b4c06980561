#!/usr/bin/env node
// Bundles the Functions app as ESM with code splitting and stages the deployment package:
//   dist/app/functions.mjs   package.json "main" (func start, the dev host's DEV_HOST_APP): what the worker imports
//                            at start — function registration, settings, token verification, the prefetch
//   dist/app/chunks/         loaded with import() after start, overlapped with the prefetch's upstream I/O: the MCP
//                            SDK, MSAL, the ARM SDKs, @azure/identity and the Key Vault SDK
//   dist/deploy/             what azd deploys (azure.yaml `dist`): host.json, a dependency-free package.json,
//                            functions.mjs and chunks/ — no node_modules, nothing for a remote build to install.
// `node scripts/bundle.mjs <outfile>` writes only the bundle: <outfile> and a chunks/ folder next to it.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

// The settings module validates with zod/mini on the start path. The MCP tools' classic zod (lazy chunks) is
// built on the same zod core files, and esbuild assigns whole files to chunks: shared, the core would sit in a
// chunk the entry imports, with all the code classic zod keeps (its JSON Schema conversion included, ~85 KB).
// Resolved into a namespace of its own, zod/mini gets a copy of those files, tree-shaken to what settings use.
const OWN_COPY = Symbol('zod/mini own copy');
const zodMiniOwnCopy = {
  name: 'zod-mini-own-copy',
  setup(build) {
    const namespace = 'zod-mini';
    const resolveInCopy = async ({ path, resolveDir, kind }) => {
      const resolved = await build.resolve(path, { resolveDir, kind, pluginData: OWN_COPY });
      if (resolved.errors.length > 0 || resolved.external) return resolved;
      // Relative to the repository: source maps and metafiles name these files by this path, not by the machine.
      return { path: relative(process.cwd(), resolved.path), namespace, sideEffects: resolved.sideEffects };
    };
    build.onResolve({ filter: /^zod\/mini$/ }, (args) =>
      args.pluginData === OWN_COPY ? undefined : resolveInCopy(args),
    );
    build.onResolve({ filter: /.*/, namespace }, resolveInCopy);
    build.onLoad({ filter: /.*/, namespace }, ({ path }) => {
      const file = resolve(path);
      return { contents: readFileSync(file, 'utf8'), loader: 'js', resolveDir: dirname(file) };
    });
  },
};

const outfile = process.argv[2] ?? 'dist/app/functions.mjs';
const outdir = dirname(outfile);
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: { [basename(outfile, extname(outfile))]: 'src/functions/index.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  // Provided by the Functions Node.js worker at run time; not an npm package.
  external: ['@azure/functions-core'],
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  plugins: [zodMiniOwnCopy],
  logLevel: 'warning',
});
console.log(`bundle: ${outfile} (+ ${join(outdir, 'chunks')}/)`);

if (process.argv[2] === undefined) {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  rmSync('dist/deploy', { recursive: true, force: true });
  mkdirSync('dist/deploy', { recursive: true });
  cpSync('host.json', 'dist/deploy/host.json');
  cpSync(outfile, 'dist/deploy/functions.mjs');
  cpSync(join(outdir, 'chunks'), 'dist/deploy/chunks', {
    recursive: true,
    filter: (src) => !src.endsWith('.map'),
  });
  const deployPkg = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    type: 'module',
    main: 'functions.mjs',
    engines: pkg.engines,
  };
  writeFileSync('dist/deploy/package.json', `${JSON.stringify(deployPkg, null, 2)}\n`);
  console.log('deployment package: dist/deploy (host.json, package.json, functions.mjs, chunks/)');
}
