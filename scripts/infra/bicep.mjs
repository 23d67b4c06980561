#!/usr/bin/env node
// Compiles and lints every Bicep file under infra/, offline, and fails on any error or warning.
//
//   node scripts/infra/bicep.mjs [check]            build + lint every infra/**/*.bicep (npm run infra:check)
//   node scripts/infra/bicep.mjs build <out.json>   compile infra/main.bicep to ARM JSON
//   node scripts/infra/bicep.mjs path               print the Bicep CLI it would use
//   --no-install   never restore the CLI from NuGet: use only $BICEP_BIN, `bicep` on PATH or the cache
//
// The Bicep CLI: $BICEP_BIN, else `bicep` on PATH (unless BICEP_USE_PATH=0), else the NuGet package
// Azure.Bicep.CommandLine.linux-x64 (BICEP_VERSION, default 0.49.2) restored with `dotnet` into .tools/bicep/
// (git-ignored) and reused from there.
//
// The Microsoft Graph extension: infra/bicepconfig.json points at the public registry, which build machines
// here cannot reach. When the type files are beside the repository (../shared/bicep-types, or
// $BICEP_GRAPH_TYPES_DIR), they are packed into a local extension archive and infra/ is checked from a copy
// in .cache/infra-check/ whose bicepconfig.json points at that archive; the compiled ARM output is the same.
// Without them (e.g. a GitHub-hosted runner) infra/ is checked in place against the registry.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const infraDir = join(root, 'infra');
const bicepVersion = process.env.BICEP_VERSION ?? '0.49.2';
const packageId = 'Azure.Bicep.CommandLine.linux-x64';
const toolsDir = join(root, '.tools', 'bicep');
const cacheDir = join(root, '.cache', 'infra-check');
const graphAlias = 'microsoftGraphV1';

const args = process.argv.slice(2);
const noInstall = args.includes('--no-install');
const [command = 'check', ...rest] = args.filter((a) => a !== '--no-install');

function fail(message) {
  console.error(`infra: ${message}`);
  process.exit(1);
}

function run(file, argv, options = {}) {
  return spawnSync(file, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function findFile(dir, name) {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    } else if (entry.name === name) {
      return path;
    }
  }
  return undefined;
}

function cachedBicep() {
  const pkgDir = join(toolsDir, 'packages', packageId.toLowerCase(), bicepVersion);
  const binary = findFile(pkgDir, 'bicep');
  if (binary) chmodSync(binary, 0o755);
  return binary;
}

function restoreBicep() {
  const dotnet = onPath('dotnet');
  if (!dotnet) fail(`no Bicep CLI: neither \`bicep\` nor \`dotnet\` (to restore ${packageId}) is on PATH.`);
  const projectDir = join(toolsDir, 'restore');
  mkdirSync(projectDir, { recursive: true });
  // PackageDownload fetches the package as-is: no framework compatibility check, nothing is built.
  writeFileSync(
    join(projectDir, 'restore.csproj'),
    `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net$(BundledNETCoreAppTargetFrameworkVersion)</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="${packageId}" Version="[${bicepVersion}]" />
  </ItemGroup>
</Project>
`,
  );
  console.error(
    `infra: restoring ${packageId} ${bicepVersion} with dotnet into ${relative(root, toolsDir)}/`,
  );
  const restore = run(
    dotnet,
    ['restore', join(projectDir, 'restore.csproj'), '--packages', join(toolsDir, 'packages'), '--nologo'],
    { env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' } },
  );
  if (restore.status !== 0) {
    process.stderr.write(restore.stdout + restore.stderr);
    fail(`dotnet restore of ${packageId} ${bicepVersion} failed.`);
  }
  const binary = cachedBicep();
  if (!binary) fail(`${packageId} ${bicepVersion} was restored but holds no \`bicep\` binary.`);
  return binary;
}

function bicepCli() {
  if (process.env.BICEP_BIN) return process.env.BICEP_BIN;
  const fromPath = process.env.BICEP_USE_PATH === '0' ? undefined : onPath('bicep');
  if (fromPath) return fromPath;
  const cached = cachedBicep();
  if (cached) return cached;
  if (noInstall) fail('no Bicep CLI on PATH or in .tools/bicep, and --no-install was given.');
  return restoreBicep();
}

/** The main checkout of this repository; a git worktree lives elsewhere, but the types sit beside the main one. */
function mainCheckout() {
  const common = run('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: root });
  return common.status === 0 ? dirname(common.stdout.trim()) : root;
}

function graphTypesDir() {
  const beside = (checkout) => join(checkout, '..', 'shared', 'bicep-types', 'microsoftgraph-v1.0-1.0.0');
  const candidates = [process.env.BICEP_GRAPH_TYPES_DIR, beside(root), beside(mainCheckout())];
  return candidates.filter(Boolean).find((dir) => existsSync(join(dir, 'index.json')));
}

/**
 * Returns the directory to check: infra/ itself, or an offline copy of it (in workDir, emptied first) whose
 * bicepconfig.json uses the local Graph types.
 */
function prepareInfra(bicep, workDir) {
  const typesDir = graphTypesDir();
  if (!typesDir) {
    console.error(
      'infra: Graph types not found beside the repository; using the registry in infra/bicepconfig.json.',
    );
    return infraDir;
  }
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const archive = join(workDir, 'microsoftgraph-v1.0.tgz');
  const pack = run(bicep, ['publish-extension', join(typesDir, 'index.json'), '--target', archive]);
  if (pack.status !== 0 || !existsSync(archive)) {
    process.stderr.write(pack.stdout + pack.stderr);
    fail('packing the Microsoft Graph types into a local extension failed.');
  }
  const copy = join(workDir, 'infra');
  cpSync(infraDir, copy, { recursive: true });
  const config = JSON.parse(readFileSync(join(copy, 'bicepconfig.json'), 'utf8'));
  if (!config.extensions?.[graphAlias]) fail(`infra/bicepconfig.json declares no "${graphAlias}" extension.`);
  config.extensions[graphAlias] = '../microsoftgraph-v1.0.tgz';
  writeFileSync(join(copy, 'bicepconfig.json'), `${JSON.stringify(config, null, 2)}\n`);
  return copy;
}

function bicepFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return bicepFiles(path);
      return entry.name.endsWith('.bicep') ? [path] : [];
    })
    .sort();
}

/** Runs one bicep command; returns its diagnostics (errors and warnings), mapped back to infra/ paths. */
function diagnostics(bicep, argv, checkedDir) {
  const result = run(bicep, argv, { cwd: checkedDir });
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((line) => /: (Error|Warning) /.test(line))
    .map((line) => line.split(checkedDir).join(infraDir).replace(`${root}/`, ''));
  if (result.status !== 0 && lines.length === 0) {
    lines.push(`${argv.join(' ')} exited ${result.status}: ${(result.stderr || result.stdout).trim()}`);
  }
  return lines;
}

function check() {
  const bicep = bicepCli();
  const version = run(bicep, ['--version']).stdout.trim();
  const checkedDir = prepareInfra(bicep, cacheDir);
  const outDir = join(cacheDir, 'out');
  mkdirSync(outDir, { recursive: true });
  const files = bicepFiles(checkedDir);
  if (files.length === 0) fail('no .bicep files under infra/.');
  const problems = new Set();
  for (const file of files) {
    const name = relative(checkedDir, file);
    const out = join(outDir, name.replace(/\.bicep$/, '.json'));
    mkdirSync(dirname(out), { recursive: true });
    for (const line of diagnostics(bicep, ['build', file, '--outfile', out], checkedDir)) problems.add(line);
    for (const line of diagnostics(bicep, ['lint', file], checkedDir)) problems.add(line);
  }
  if (problems.size > 0) {
    console.error([...problems].join('\n'));
    fail(`${problems.size} Bicep diagnostic(s); errors and warnings both fail the check.`);
  }
  console.log(
    `infra: ${files.length} Bicep file(s) built and linted with no errors or warnings (${version}).`,
  );
}

function build(outFile) {
  if (!outFile) fail('usage: bicep.mjs build <out.json>');
  const bicep = bicepCli();
  const workDir = mkdtempSync(join(tmpdir(), 'infra-build-'));
  const checkedDir = prepareInfra(bicep, workDir);
  const problems = diagnostics(
    bicep,
    ['build', join(checkedDir, 'main.bicep'), '--outfile', resolve(outFile)],
    checkedDir,
  );
  if (problems.some((line) => line.includes(': Error '))) {
    console.error(problems.join('\n'));
    fail('infra/main.bicep does not compile.');
  }
  rmSync(workDir, { recursive: true, force: true });
}

switch (command) {
  case 'check':
    check();
    break;
  case 'build':
    build(rest[0]);
    break;
  case 'path':
    console.log(bicepCli());
    break;
  default:
    fail(`unknown command ${command}; use check, build <out.json> or path.`);
}
