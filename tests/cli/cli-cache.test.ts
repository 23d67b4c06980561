// The CLI's token cache end to end: where it lives, silent renewal, logout, --clear-cache, a corrupt file.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliFixture } from './cli-fixture.js';
import { runCli, show } from './run-cli.js';

const fx = cliFixture();

describe('the token cache of the client CLI', () => {
  it('keeps the cache in $XDG_CACHE_HOME/azure-obo-mcp by default', async () => {
    const xdg = fx.newDir();
    const r = await runCli(['--yes', '--server', fx.host.mcpUrl], { ...fx.env, XDG_CACHE_HOME: xdg });
    assert.equal(r.code, 0, show(r));
    const file = join(xdg, 'azure-obo-mcp', 'token-cache.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(xdg, 'azure-obo-mcp')).mode & 0o777, 0o700);
    const out = await runCli(['logout'], { ...fx.env, XDG_CACHE_HOME: xdg });
    assert.equal(out.code, 0, show(out));
    assert.ok(!existsSync(file));
  });

  it('renews an expired access token silently with the cached refresh token', async () => {
    fx.emulator.update({ tokenLifetimeSec: 120 }); // within MSAL's 5-minute renewal window: always "expired"
    try {
      const cache = join(fx.newDir(), 'c.json');
      assert.equal((await fx.cli(cache)).code, 0);
      fx.emulator.resetCounts();
      const r = await fx.cli(cache);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /✓ Token refreshed silently \(refresh token from cache\)/);
      assert.equal(fx.emulator.counts()['entra.devicecode'] ?? 0, 0);
      assert.equal(fx.emulator.counts()['entra.token.refresh_token'], 1);
    } finally {
      fx.emulator.update({ tokenLifetimeSec: 3600 });
    }
  });

  it('logout removes the cache; the next run signs in with a device code again', async () => {
    const cache = join(fx.newDir(), 'c.json');
    assert.equal((await fx.cli(cache)).code, 0);
    const out = await runCli(['logout', '--cache', cache], fx.env);
    assert.equal(out.code, 0, show(out));
    assert.match(out.stdout, /Signed out: removed the token cache/);
    assert.ok(!existsSync(cache));
    const again = await runCli(['logout', '--cache', cache], fx.env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to remove/);
    fx.emulator.resetCounts();
    assert.equal((await fx.cli(cache, '--json')).code, 0);
    assert.equal(fx.emulator.counts()['entra.devicecode'], 1);
  });

  it('--clear-cache forces a new sign-in', async () => {
    const cache = join(fx.newDir(), 'c.json');
    assert.equal((await fx.cli(cache)).code, 0);
    fx.emulator.resetCounts();
    const r = await fx.cli(cache, '--clear-cache');
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Removed the token cache/);
    assert.equal(fx.emulator.counts()['entra.devicecode'], 1);
  });

  it('a corrupt cache is a sign-in failure (exit 3) that says to log out', async () => {
    const dir = fx.newDir();
    const cache = join(dir, 'c.json');
    mkdirSync(dir, { recursive: true });
    writeFileSync(cache, '{ not json', { mode: 0o600 });
    const r = await fx.cli(cache);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /token cache .* is unreadable or corrupt/);
    assert.match(r.stderr, /Fix: Run "azure-obo-mcp logout" \(or delete /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without --verbose');
  });
});
