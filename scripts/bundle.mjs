#!/usr/bin/env node
// Bundles the Functions app into one ESM file and stages the deployment package:
//   dist/app/functions.mjs   package.json "main" (func start, the dev host's DEV_HOST_APP)
//   dist/deploy/             what azd deploys (azure.yaml `dist`): host.json, a dependency-free package.json and
//                            functions.mjs — no node_modules, nothing for a remote build to install or compile.
// `node scripts/bundle.mjs <outfile>` writes only the bundle, to <outfile>.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/app/functions.mjs';
await build({
  entryPoints: ['src/functions/index.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  // Provided by the Functions Node.js worker at run time; not an npm package.
  external: ['@azure/functions-core'],
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
console.log(`bundle: ${outfile}`);

if (process.argv[2] === undefined) {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  rmSync('dist/deploy', { recursive: true, force: true });
  mkdirSync('dist/deploy', { recursive: true });
  copyFileSync('host.json', 'dist/deploy/host.json');
  copyFileSync(outfile, 'dist/deploy/functions.mjs');
  const deployPkg = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    type: 'module',
    main: 'functions.mjs',
    engines: pkg.engines,
  };
  writeFileSync('dist/deploy/package.json', `${JSON.stringify(deployPkg, null, 2)}\n`);
  console.log('deployment package: dist/deploy (host.json, package.json, functions.mjs)');
}
