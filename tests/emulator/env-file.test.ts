// The standalone emulator's settings file: `export` lines a shell loads back exactly, whatever the values hold.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { envFileText, shellQuote, writeEnvFile } from '../../emulator/env-file.js';

const dir = mkdtempSync(join(tmpdir(), 'env-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('emulator/env-file', () => {
  it('quotes values so that sh reads them back unchanged', async () => {
    const values = {
      PLAIN: 'https://127.0.0.1:443/x',
      QUOTES: `it's "quoted" \\ $HOME \`id\` $(id)`,
      NEWLINE: 'a\nb',
      EMPTY: '',
    };
    const file = join(dir, 'settings');
    await writeEnvFile(file, envFileText(values, ['a comment', 'two\nlines']));
    assert.equal(statSync(file).mode & 0o777, 0o600, 'owner only: it may hold the app secret');
    const script = `. '${file}'; for v in PLAIN QUOTES NEWLINE EMPTY; do eval "printf '%s\\\\0' \\"\\$$v\\""; done`;
    const run = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.split('\0').slice(0, 4), Object.values(values));
  });

  it("writes each ' as '\\''", () => {
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  });

  it('refuses a name that is no shell variable', () => {
    assert.throws(() => envFileText({ 'A-B': 'x' }), /not a shell variable name: A-B/);
  });
});
