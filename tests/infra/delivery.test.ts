// Offline checks of the delivery files: the infra check scripts exist, the workflows, azure.yaml and the
// parameter file parse and keep their security properties, and set-obo-secret.sh never exposes the secret
// (run against a stand-in `az` that records what it is given).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { deployRunning, deployWith, lintWorkflow } from '../helpers/lint-workflows.js';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const readYaml = (path: string): Record<string, unknown> => parse(read(path)) as Record<string, unknown>;

type Step = {
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
};
type Job = {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  outputs?: Record<string, string>;
  environment?: { name: string } | string;
  steps: Step[];
};
type Workflow = {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: { group: string };
  jobs: Record<string, Job>;
};

describe('delivery (scripts, workflows, azd, VS Code)', () => {
  it('the infra scripts exist and the shell scripts are strict and never trace', () => {
    for (const script of [
      'bicep.mjs',
      'lint-workflows.mjs',
      'set-obo-secret.sh',
      'set-oauth-proxy-key.sh',
      'teardown.sh',
    ]) {
      accessSync(join(root, 'scripts', 'infra', script), constants.R_OK);
    }
    for (const script of ['set-obo-secret.sh', 'set-oauth-proxy-key.sh', 'teardown.sh']) {
      const source = read(`scripts/infra/${script}`);
      assert.match(source, /^#!\/usr\/bin\/env bash\n/, `${script}: bash shebang`);
      assert.match(source, /^set -euo pipefail$/m, `${script}: set -euo pipefail`);
      assert.doesNotMatch(source, /^\s*set -[a-z]*x/m, `${script}: must not enable xtrace`);
    }
  });

  it('every workflow parses and pins each action to a full commit SHA', () => {
    const dir = join(root, '.github', 'workflows');
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.includes('ci.yml') && files.includes('deploy.yml'));
    for (const file of files) {
      const workflow = readYaml(`.github/workflows/${file}`) as Workflow;
      assert.ok(workflow.jobs && Object.keys(workflow.jobs).length > 0, `${file}: has jobs`);
      for (const job of Object.values(workflow.jobs)) {
        for (const step of job.steps) {
          if (step.uses) assert.match(step.uses, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${file}: ${step.uses}`);
        }
      }
    }
  });

  it('CI runs on pull requests and main with read-only contents and runs every check', () => {
    const ci = readYaml('.github/workflows/ci.yml') as Workflow;
    assert.ok('pull_request' in ci.on && 'push' in ci.on);
    assert.deepEqual(ci.permissions, { contents: 'read' });
    const runs = Object.values(ci.jobs).flatMap((job) => job.steps.map((s) => s.run ?? ''));
    for (const command of [
      'npm ci',
      'npm run lint',
      'npm run typecheck',
      'npm test',
      'npm run infra:check',
      'npm run workflows:check',
    ]) {
      assert.ok(runs.includes(command), `ci.yml runs ${command}`);
    }
  });

  it('Deploy uses OIDC, an approval environment, one run at a time and no stored secrets', () => {
    const text = read('.github/workflows/deploy.yml');
    const deploy = parse(text) as Workflow;
    assert.ok('workflow_dispatch' in deploy.on && 'workflow_run' in deploy.on);
    // Only commits that passed CI on main are deployed.
    const run = (deploy.on as { workflow_run?: { workflows?: string[]; branches?: string[] } }).workflow_run;
    assert.deepEqual(run?.workflows, ['CI']);
    assert.deepEqual(run?.branches, ['main']);
    assert.match(text, /github\.event\.workflow_run\.conclusion == 'success'/);
    // Least privilege per job: only the deploy job can get an OIDC token; the checks read contents and CI's
    // runs, the build reads contents.
    assert.deepEqual(Object.keys(deploy.jobs).sort(), ['build', 'current', 'deploy']);
    assert.deepEqual(deploy.permissions, {});
    assert.deepEqual(deploy.jobs.current!.permissions, { contents: 'read', actions: 'read' });
    assert.deepEqual(deploy.jobs.build!.permissions, { contents: 'read' });
    assert.deepEqual(deploy.jobs.deploy!.permissions, { 'id-token': 'write', contents: 'read' });
    // One deployment at a time, and a running one is never cancelled. Only the deploy job queues, so a stale
    // run that the tip check stops never takes the waiting slot of a newer one.
    assert.equal(deploy.concurrency, undefined, 'no workflow-level concurrency');
    assert.equal(deploy.jobs.current!.concurrency, undefined);
    assert.equal(deploy.jobs.build!.concurrency, undefined);
    assert.deepEqual(deploy.jobs.deploy!.concurrency, {
      group: 'deploy-production',
      'cancel-in-progress': false,
    });
    const job = deploy.jobs.deploy!;
    const environment = typeof job.environment === 'string' ? job.environment : job.environment?.name;
    assert.equal(environment, 'production');
    assert.doesNotMatch(text, /secrets\./, 'deploy.yml must not read stored secrets');
    const steps = job.steps.map((s) => s.uses ?? s.run ?? '');
    assert.ok(steps.some((s) => s.startsWith('azure/login@')));
    assert.ok(steps.some((s) => s.startsWith('Azure/setup-azd@')));
    assert.ok(steps.some((s) => s.includes('--federated-credential-provider github')));
    assert.ok(steps.includes('azd provision --no-prompt'));
    assert.ok(steps.includes('azd deploy api --from-package "$RUNNER_TEMP/package/api.zip" --no-prompt'));
  });

  it('Deploy builds in a job without credentials; the deploy job verifies and deploys only that package', () => {
    const deploy = readYaml('.github/workflows/deploy.yml') as Workflow;
    const { build, deploy: job } = deploy.jobs;
    // The build job: no Azure login, no OIDC token, no approval; installs without install scripts.
    const buildSteps = build!.steps.map((s) => s.uses ?? s.run ?? '');
    assert.deepEqual([build!.needs].flat(), ['current']);
    assert.equal(build!.if, "needs.current.outputs.current == 'true'");
    assert.equal(build!.environment, undefined, 'no approval environment, so no environment secrets');
    assert.ok(!buildSteps.some((s) => /azure\/login|azd auth|az login/i.test(s)));
    assert.ok(buildSteps.includes('npm ci --ignore-scripts --no-audit --no-fund'));
    assert.ok(buildSteps.includes('npm run build'));
    const pkg = build!.steps.find((s) => s.id === 'package')!;
    assert.match(pkg.run ?? '', /cd dist\/deploy && zip -q -r -X "\$RUNNER_TEMP\/api\.zip" \./);
    assert.match(pkg.run ?? '', /sha256sum "\$RUNNER_TEMP\/api\.zip"/);
    assert.equal(build!.outputs?.sha256, '${{ steps.package.outputs.sha256 }}');
    const upload = build!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(upload?.with?.name, 'api-package');
    // The deploy job: downloads that artifact and checks its SHA-256 against the build job's output before the
    // Azure login, then deploys it with --from-package; it installs and builds nothing.
    assert.deepEqual([job!.needs].flat(), ['current', 'build']);
    const names = job!.steps.map((s) => s.uses ?? s.run ?? '');
    const at = (test: (s: string) => boolean) => names.findIndex(test);
    const download = at((s) => s.startsWith('actions/download-artifact@'));
    const verify = at((s) => s.includes('sha256sum --check --strict'));
    const login = at((s) => s.startsWith('azure/login@'));
    const ship = at((s) => s.startsWith('azd deploy '));
    assert.ok(download >= 0 && download < verify && verify < login && login < ship, names.join(' | '));
    assert.equal(job!.steps[download]!.with?.name, 'api-package');
    assert.deepEqual(job!.steps[verify]!.env, { SHA256: '${{ needs.build.outputs.sha256 }}' });
    assert.ok(!names.some((s) => /\bnpm\b|\bnpx\b|setup-node|azd (up|package)/.test(s)), names.join(' | '));
  });

  it('Deploy runs only for a successful push to this repository main, or by hand from main', () => {
    const deploy = readYaml('.github/workflows/deploy.yml') as Workflow;
    // The first job gates the run; the build and deploy jobs run only after it.
    assert.deepEqual([deploy.jobs.build!.needs].flat(), ['current']);
    assert.deepEqual([deploy.jobs.deploy!.needs].flat(), ['current', 'build']);
    const condition = deploy.jobs.current!.if ?? '';
    // Each alternative of the condition, with its clauses.
    const alternatives = condition.split(/\)\s*\|\|\s*\(/).map((part) =>
      part
        .replace(/^\s*\(|\)\s*$/g, '')
        .split('&&')
        .map((clause) => clause.trim()),
    );
    assert.equal(alternatives.length, 2, condition);
    assert.deepEqual(alternatives[0], [
      "github.event_name == 'workflow_dispatch'",
      "github.ref == 'refs/heads/main'",
    ]);
    assert.deepEqual(
      [...alternatives[1]!].sort(),
      [
        "github.event_name == 'workflow_run'",
        "github.event.workflow_run.event == 'push'",
        "github.event.workflow_run.head_branch == 'main'",
        'github.event.workflow_run.head_repository.full_name == github.repository',
        "github.event.workflow_run.conclusion == 'success'",
      ].sort(),
    );
  });

  const TIP_CHECK_SHA = '${{ github.event.workflow_run.head_sha || github.sha }}';

  it('Deploy skips a commit that is no longer the tip of main, before and after the approval', () => {
    const deploy = readYaml('.github/workflows/deploy.yml') as Workflow;
    const { current, deploy: job } = deploy.jobs;
    const check = current!.steps.find((step) => step.id === 'tip');
    assert.ok(check?.run, 'the current job has the tip check');
    assert.deepEqual(check.env, { GH_TOKEN: '${{ github.token }}', SHA: TIP_CHECK_SHA });
    assert.equal(current!.outputs?.current, '${{ steps.tip.outputs.current }}');
    assert.equal(job!.if, "needs.current.outputs.current == 'true'");
    // The deploy job checks again first (approval and queue may take long), and every later step depends on it.
    const [recheck, ...rest] = job!.steps;
    assert.equal(recheck!.id, 'tip');
    assert.equal(recheck!.run, check.run, 'the same check');
    assert.deepEqual(recheck!.env, check.env);
    assert.ok(rest.length > 0);
    for (const step of rest) {
      assert.equal(step.if, "steps.tip.outputs.current == 'true'", step.uses ?? step.run);
    }
    // The commit checked is the commit deployed.
    const checkout = rest.find((step) => step.uses?.startsWith('actions/checkout@'));
    assert.equal(checkout?.with?.ref, TIP_CHECK_SHA);
  });

  // A stand-in `gh`: records its arguments and prints $FAKE_ANSWER, or fails when $FAKE_ANSWER is empty.
  const FAKE_GH = String.raw`#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_LOG"
[[ -n "$FAKE_ANSWER" ]] || { echo 'gh: HTTP 502' >&2; exit 1; }
printf '%s\n' "$FAKE_ANSWER"
`;

  /** Runs step `id` of the current job for commit `sha` with a `gh` that answers `answer` (empty: fails). */
  function runCurrentStep(id: string, sha: string, answer: string) {
    const deploy = readYaml('.github/workflows/deploy.yml') as Workflow;
    const script = deploy.jobs.current!.steps.find((step) => step.id === id)!.run!;
    const dir = mkdtempSync(join(tmpdir(), 'fake-gh-'));
    writeFileSync(join(dir, 'gh'), FAKE_GH, { mode: 0o755 });
    writeFileSync(join(dir, 'step.sh'), script);
    const files = { log: join(dir, 'log'), output: join(dir, 'output') };
    writeFileSync(files.log, '');
    writeFileSync(files.output, '');
    // GitHub runs `run:` steps on Linux with `bash --noprofile --norc -eo pipefail {0}`.
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', join(dir, 'step.sh')], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        FAKE_LOG: files.log,
        FAKE_ANSWER: answer,
        GITHUB_OUTPUT: files.output,
        GITHUB_REPOSITORY: 'contoso/azure-obo-mcp',
        GH_TOKEN: 'token',
        SHA: sha,
      },
    });
    const log = readFileSync(files.log, 'utf8');
    const output = readFileSync(files.output, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    return { ...result, log, output };
  }

  const runTipCheck = (sha: string, tip: string) => runCurrentStep('tip', sha, tip);

  it('Deploy asks GitHub whether CI passed for the commit, for a manual run too, and fails closed', () => {
    const deploy = readYaml('.github/workflows/deploy.yml') as Workflow;
    const [ci, tip] = deploy.jobs.current!.steps;
    assert.equal(ci!.id, 'ci', 'the CI check comes first');
    assert.equal(ci!.if, undefined, 'it runs for every event');
    assert.equal(tip!.id, 'tip');
    assert.deepEqual(ci!.env, { GH_TOKEN: '${{ github.token }}', SHA: TIP_CHECK_SHA });
    const sha = 'c'.repeat(40);
    const passed = runCurrentStep('ci', sha, '1');
    assert.equal(passed.status, 0, passed.stderr);
    assert.equal(
      passed.log,
      `api repos/contoso/azure-obo-mcp/actions/workflows/ci.yml/runs?head_sha=${sha}&event=push&branch=main&status=success&per_page=100 --jq [.workflow_runs[] | select(.head_sha == $ENV.SHA and .event == "push" and .head_branch == "main" and .conclusion == "success")] | length\n`,
    );
    const never = runCurrentStep('ci', sha, '0');
    assert.notEqual(never.status, 0, 'no successful CI run: no deploy');
    assert.match(never.stdout, /::error title=Deploy refused::CI has not passed for c{40} on main/);
    assert.notEqual(runCurrentStep('ci', sha, 'null').status, 0, 'an odd answer fails too');
    assert.notEqual(runCurrentStep('ci', sha, '').status, 0, 'no answer from GitHub: the step fails');
  });

  it('the tip check compares the commit with main and fails closed', () => {
    const newer = 'b'.repeat(40);
    const older = 'a'.repeat(40);
    const tip = runTipCheck(newer, newer);
    assert.equal(tip.status, 0, tip.stderr);
    assert.equal(tip.output, 'current=true\n');
    assert.equal(tip.log, 'api repos/contoso/azure-obo-mcp/git/ref/heads/main --jq .object.sha\n');
    const stale = runTipCheck(older, newer);
    assert.equal(stale.status, 0, stale.stderr);
    assert.equal(stale.output, 'current=false\n');
    assert.match(
      stale.stdout,
      /^::notice title=Deploy skipped::a{40} is no longer the tip of main \(b{40}\)/,
    );
    const unknown = runTipCheck(newer, '');
    assert.notEqual(unknown.status, 0, 'no answer from GitHub: the step fails');
    assert.doesNotMatch(unknown.output, /current=true/);
  });

  it('workflows:check fails on a job that both logs in to Azure and installs or builds', () => {
    const ok = lintWorkflow(read('.github/workflows/deploy.yml'));
    assert.equal(ok.status, 0, ok.stderr);
    for (const [what, workflow] of [
      ['npm ci', deployRunning('npm ci')],
      ['npm install', deployRunning('npm install --no-audit')],
      ['npm run build', deployRunning('npm run build')],
      ['npx', deployRunning('npx --yes some-tool')],
      ['npm with flags before the command', deployRunning('npm --prefix . ci')],
      ['another package script', deployRunning('npm run bundle')],
      ['node running a project script', deployRunning('node scripts/bundle.mjs')],
      ['azd up', deployWith('azd provision --no-prompt', 'azd up --no-prompt')],
      [
        'azd deploy without --from-package',
        deployWith(
          'azd deploy api --from-package "$RUNNER_TEMP/package/api.zip" --no-prompt',
          'azd deploy --no-prompt',
        ),
      ],
      [
        'the build job with an OIDC token',
        deployWith('    outputs:\n      sha256:', '      id-token: write\n    outputs:\n      sha256:'),
      ],
    ] as const) {
      const r = lintWorkflow(workflow);
      assert.equal(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /job (deploy|build) logs in to Azure \(.+\) and runs dependency code: /, what);
      assert.match(r.stderr, /--from-package/, what);
    }
  });

  it('workflows:check fails on a logged-in job that runs although what it needs failed (always())', () => {
    const r = lintWorkflow(
      deployWith(
        "    needs: [current, build]\n    if: needs.current.outputs.current == 'true'\n",
        "    needs: [current, build]\n    if: always() && needs.current.outputs.current == 'true'\n",
      ),
    );
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /job deploy logs in to Azure with a condition that runs it even when a job it needs failed/,
    );
  });

  it('workflows:check fails on a manual deploy that does not check CI passed for the commit', () => {
    const ciStep =
      / {6}# workflow_run already says CI passed[\s\S]*?(?= {6}- name: Compare with the tip of main)/;
    for (const [what, workflow] of [
      ['no CI check', deployWith(ciStep, '')],
      [
        'a CI check that can be skipped',
        deployWith('        id: ci\n', "        id: ci\n        if: github.event_name == 'workflow_run'\n"),
      ],
    ] as const) {
      const r = lintWorkflow(workflow);
      assert.equal(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr,
        /job deploy logs in to Azure in a workflow that can be run by hand \(workflow_dispatch\), but needs no job that checks CI succeeded/,
        what,
      );
    }
  });

  it('azure.yaml deploys service api to Functions and runs the secret hook', () => {
    const azure = readYaml('azure.yaml') as {
      infra: { path: string };
      services: Record<
        string,
        { project: string; host: string; language: string; dist: string; remoteBuild: boolean }
      >;
      hooks: { postprovision: { run: string } };
    };
    // The deployment is the self-contained package `npm run build` stages (scripts/bundle.mjs), never a remote build.
    assert.deepEqual(azure.services.api, {
      project: '.',
      language: 'ts',
      host: 'function',
      dist: 'dist/deploy',
      remoteBuild: false,
    });
    assert.equal(azure.infra.path, 'infra');
    assert.match(azure.hooks.postprovision.run, /scripts\/infra\/set-obo-secret\.sh --if-keyvault/);
    assert.match(
      azure.hooks.postprovision.run,
      /&& bash \.\/scripts\/infra\/set-oauth-proxy-key\.sh --if-proxy/,
    );
    assert.match(read('infra/modules/function-app.bicep'), /azdServiceName/);
    assert.match(read('infra/main.bicep'), /azdServiceName: 'api'/);
  });

  it('main.parameters.json only passes parameters that main.bicep declares', () => {
    const parameters = (
      JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }
    ).parameters;
    const main = read('infra/main.bicep');
    for (const name of Object.keys(parameters)) {
      assert.match(main, new RegExp(`^param ${name} `, 'm'), `main.bicep declares ${name}`);
    }
    assert.equal(parameters.environmentName?.value, '${AZURE_ENV_NAME}');
    assert.equal(parameters.location?.value, '${AZURE_LOCATION}');
    const config = JSON.parse(read('infra/bicepconfig.json')) as { extensions: Record<string, string> };
    assert.equal(
      config.extensions.microsoftGraphV1,
      'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0',
    );
    assert.doesNotMatch(
      main + read('infra/modules/entra-app.bicep'),
      /'br\/public:|'br:mcr/,
      'no registry modules',
    );
  });

  it('.vscode/mcp.json points VS Code at an HTTP MCP server', () => {
    const mcp = JSON.parse(read('.vscode/mcp.json')) as {
      servers: Record<string, { type: string; url: string }>;
    };
    const server = Object.values(mcp.servers)[0]!;
    assert.equal(server.type, 'http');
    assert.match(server.url, /^\$\{input:[\w-]+\}$|^https:\/\/.+\/mcp$/);
  });

  // A stand-in `az`: records each call's arguments, stores what `keyvault secret set` reads from --file, and
  // answers the few queries the script makes.
  const FAKE_AZ = String.raw`#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_LOG"
case "$*" in
  "keyvault secret list"*) printf '%s\n' "$FAKE_EXISTING_KEY_ID" ;;
  "ad app credential list"*"keyId=="*) printf '%s\n' "$FAKE_EXISTING_END" ;;
  "ad app credential list"*) printf 'new-key-id\n' ;;
  "ad app credential reset"*) printf '%s\n' "$FAKE_SECRET" ;;
  "keyvault secret set"*)
    for ((i = 1; i <= $#; i++)); do
      if [[ "${'$'}{!i}" == --file ]]; then j=$((i + 1)); cat "${'$'}{!j}" > "$FAKE_STORED"; fi
    done ;;
esac
`;

  function runSetSecret(env: Record<string, string>, args: string[] = []) {
    const dir = mkdtempSync(join(tmpdir(), 'fake-az-'));
    writeFileSync(join(dir, 'az'), FAKE_AZ, { mode: 0o755 });
    const files = { log: join(dir, 'log'), stored: join(dir, 'stored') };
    writeFileSync(files.log, '');
    const result = spawnSync('bash', [join(root, 'scripts', 'infra', 'set-obo-secret.sh'), ...args], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        FAKE_LOG: files.log,
        FAKE_STORED: files.stored,
        FAKE_SECRET: 'Sup3r~Secret.Value_123',
        FAKE_EXISTING_KEY_ID: '',
        FAKE_EXISTING_END: '',
        ENTRA_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
        KEY_VAULT_NAME: 'kv-test',
        OBO_CREDENTIAL: 'keyvault',
        ...env,
      },
    });
    const log = readFileSync(files.log, 'utf8');
    let stored: string | undefined;
    try {
      stored = readFileSync(files.stored, 'utf8');
    } catch {
      stored = undefined;
    }
    rmSync(dir, { recursive: true, force: true });
    return { ...result, log, stored };
  }

  it('set-obo-secret.sh pipes the new password into Key Vault without exposing it', () => {
    const run = runSetSecret({});
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      run.stored,
      'Sup3r~Secret.Value_123',
      'the secret reaches Key Vault through --file /dev/stdin',
    );
    assert.ok(!run.log.includes('Sup3r~Secret'), 'the secret never appears in a command line');
    assert.ok(!run.stdout.includes('Sup3r~Secret') && !run.stderr.includes('Sup3r~Secret'), 'never printed');
    assert.match(run.log, /ad app credential reset --id 11111111-2222-3333-4444-555555555555 --append/);
    assert.match(
      run.log,
      /keyvault secret set --vault-name kv-test --name obo-client-secret --file \/dev\/stdin/,
    );
    assert.match(run.log, /keyId=new-key-id/);
    assert.match(run.log, / -o none/);
  });

  it('set-obo-secret.sh keeps a valid secret, and does nothing in managed-identity mode', () => {
    const kept = runSetSecret({ FAKE_EXISTING_KEY_ID: 'old-key', FAKE_EXISTING_END: '2999-01-01T00:00:00Z' });
    assert.equal(kept.status, 0, kept.stderr);
    assert.doesNotMatch(kept.log, /credential reset|secret set/);
    const expiring = runSetSecret({
      FAKE_EXISTING_KEY_ID: 'old-key',
      FAKE_EXISTING_END: '2000-01-01T00:00:00Z',
    });
    assert.match(expiring.log, /credential reset/);
    const rotated = runSetSecret(
      { FAKE_EXISTING_KEY_ID: 'old-key', FAKE_EXISTING_END: '2999-01-01T00:00:00Z' },
      ['--rotate'],
    );
    assert.match(rotated.log, /credential reset/);
    const skipped = runSetSecret({ OBO_CREDENTIAL: 'managed-identity' }, ['--if-keyvault']);
    assert.equal(skipped.status, 0);
    assert.equal(skipped.log, '', 'no az call in managed-identity mode');
  });

  // A stand-in `az` for set-oauth-proxy-key.sh: an existing secret (FAKE_CURRENT) or none; stores what is set.
  const FAKE_AZ_KEYS = String.raw`#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_LOG"
case "$*" in
  "keyvault secret list"*)
    # FAKE_DENIED: the first calls are refused, as before the deployment's role assignment reaches Key Vault.
    if [[ -n "$FAKE_DENIED" ]] && (( $(grep -c 'secret list' "$FAKE_LOG") <= FAKE_DENIED )); then
      echo 'ERROR: (Forbidden) Caller is not authorized' >&2; exit 1
    fi
    if [[ -n "$FAKE_CURRENT" ]]; then echo 1; else echo 0; fi ;;
  "keyvault secret show"*) printf '%s\n' "$FAKE_CURRENT" ;;
  "keyvault secret set"*)
    for ((i = 1; i <= $#; i++)); do
      if [[ "${'$'}{!i}" == --file ]]; then j=$((i + 1)); cat "${'$'}{!j}" > "$FAKE_STORED"; fi
    done ;;
esac
`;

  function runSetKey(env: Record<string, string>, args: string[] = []) {
    const dir = mkdtempSync(join(tmpdir(), 'fake-az-keys-'));
    writeFileSync(join(dir, 'az'), FAKE_AZ_KEYS, { mode: 0o755 });
    const files = { log: join(dir, 'log'), stored: join(dir, 'stored') };
    writeFileSync(files.log, '');
    const result = spawnSync('bash', [join(root, 'scripts', 'infra', 'set-oauth-proxy-key.sh'), ...args], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        FAKE_LOG: files.log,
        FAKE_STORED: files.stored,
        FAKE_CURRENT: '',
        FAKE_DENIED: '',
        SET_KEY_RETRY_SECONDS: '0',
        KEY_VAULT_NAME: 'kv-test',
        MCP_OAUTH_PROXY: 'on',
        ...env,
      },
    });
    const log = readFileSync(files.log, 'utf8');
    let stored: string | undefined;
    try {
      stored = readFileSync(files.stored, 'utf8');
    } catch {
      stored = undefined;
    }
    rmSync(dir, { recursive: true, force: true });
    return { ...result, log, stored };
  }

  it('set-oauth-proxy-key.sh stores a fresh 32-byte key through stdin, never in a command line or output', () => {
    const run = runSetKey({});
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stored ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(run.stored!, 'base64url').length, 32);
    assert.ok(!run.log.includes(run.stored!), 'the key never appears in a command line');
    assert.ok(!run.stdout.includes(run.stored!) && !run.stderr.includes(run.stored!), 'never printed');
    assert.match(
      run.log,
      /keyvault secret set --vault-name kv-test --name mcp-oauth-proxy-key --file \/dev\/stdin/,
    );
    assert.notEqual(runSetKey({}).stored, run.stored, 'random each time');
  });

  it('set-oauth-proxy-key.sh keeps existing keys, rotates by putting a new key first, and skips when the proxy is off', () => {
    const old = 'A'.repeat(43);
    const kept = runSetKey({ FAKE_CURRENT: `${old},${'B'.repeat(43)}` });
    assert.equal(kept.status, 0, kept.stderr);
    assert.doesNotMatch(kept.log, /secret set/);
    const rotated = runSetKey({ FAKE_CURRENT: `${old},${'B'.repeat(43)}` }, ['--rotate']);
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.match(
      rotated.stored ?? '',
      new RegExp(`^[A-Za-z0-9_-]{43},${old}$`),
      'new key first, the previous first key second',
    );
    const late = runSetKey({ FAKE_DENIED: '2' });
    assert.equal(late.status, 0, late.stderr);
    assert.match(late.stderr, /attempt 2\/10/);
    assert.match(late.stored ?? '', /^[A-Za-z0-9_-]{43}$/, 'stored once Key Vault lets the deployer in');
    const skipped = runSetKey({ MCP_OAUTH_PROXY: 'off' }, ['--if-proxy']);
    assert.equal(skipped.status, 0);
    assert.equal(skipped.log, '', 'no az call with the proxy off');
  });
});
