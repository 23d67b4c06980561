// `npm run emulator` standalone: shows its users and how device codes are approved, writes a settings file a shell
// loads, and leaves NODE_EXTRA_CA_CERTS naming a file that still exists after it stops.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'emulator-main-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function emulator(args: string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'emulator/main.ts', '--ca-dir', join(dir, 'ca'), ...args],
    {
      cwd: ROOT,
      // As `npm run` starts it: in the package folder, with the folder the user typed in as INIT_CWD.
      env: { PATH: process.env.PATH ?? '', INIT_CWD: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => /EMULATOR READY\n/.test(out) && resolve(out));
    void exited.then((code) => reject(new Error(`emulator exited with ${code}:\n${out}`)));
  });
  ready.catch(() => undefined); // awaited only by the tests that expect it to start
  return { child, ready, exited, output: () => out };
}

describe('emulator/main', () => {
  it('--settings-file: writes the settings as export lines, shows the users and the auto-approval', async () => {
    const run = emulator(['--auto-approve', 'alice@contoso.example', '--settings-file', 'settings.sh']);
    try {
      const out = await run.ready;
      assert.match(out, /^ {2}alice@contoso\.example \(Alice Example, oid [0-9a-f-]+\): 3 subscriptions$/m);
      assert.match(out, /^ {2}bob@contoso\.example .*: 1 subscription$/m);
      assert.match(out, /^Device codes: approved at once as alice@contoso\.example\.$/m);
      assert.match(out, /^ {2}source settings\.sh$/m, 'relative to where the user typed the command');
      assert.match(out, /^ {2}unset ENTRA_TENANT_ID .*NODE_EXTRA_CA_CERTS$/m);
      const file = join(dir, 'settings.sh');
      assert.match(readFileSync(file, 'utf8'), /^export ENTRA_AUTHORITY_HOST='https:\/\/127\.0\.0\.1:\d+'$/m);
      const loaded = spawnSync('sh', ['-c', `. '${file}'; printf '%s' "$NODE_EXTRA_CA_CERTS"`], {
        encoding: 'utf8',
      });
      assert.equal(loaded.stdout, join(dir, 'ca', 'ca-cert.pem'));
    } finally {
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
    }
    assert.ok(existsSync(join(dir, 'ca', 'ca-cert.pem')), 'the CA outlives the emulator');
  });

  it('without --auto-approve: how to approve a device code, as which users', async () => {
    const run = emulator([]);
    try {
      const out = await run.ready;
      assert.match(out, /Device codes: not approved automatically/);
      assert.match(
        out,
        /curl --cacert \S+ca-cert\.pem -d user_code=<CODE> -d user=alice@contoso\.example https:\/\/127\.0\.0\.1:\d+\/devicelogin/,
      );
      assert.match(out, /^export OBO_CREDENTIAL='keyvault'$/m, 'the settings on stdout');
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it('an unknown user to auto-approve exits 1 naming the users; an unknown flag exits 2', async () => {
    const unknown = emulator(['--auto-approve', 'carol@contoso.example']);
    assert.equal(await unknown.exited, 1);
    assert.match(
      unknown.output(),
      /--auto-approve: no user carol@contoso\.example; one of alice@contoso\.example, bob@contoso\.example/,
    );
    const bogus = emulator(['--bogus']);
    assert.equal(await bogus.exited, 2);
    assert.match(bogus.output(), /Unknown option '--bogus'[\s\S]*Usage: npm run emulator/);
  });
});
