#!/usr/bin/env node
// Bundles the Functions app into one ESM file, dist/app/functions.mjs (or argv[2]) (package.json "main"), so the deployment
// package needs no node_modules: smaller zip, faster cold start on Flex Consumption.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/functions/index.ts'],
  outfile: process.argv[2] ?? 'dist/app/functions.mjs',
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
console.log(`bundle: ${process.argv[2] ?? 'dist/app/functions.mjs'}`);
