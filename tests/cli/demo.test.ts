// `npm run demo` (scripts/demo.ts) as a child process, like `tsx scripts/demo.ts`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { DEMO_USER } from '../../scripts/demo.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function startDemo(): {
  done: Promise<{ code: number | null; output: string; ms: number }>;
  output: () => string;
  kill: (sig: NodeJS.Signals) => void;
} {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    cwd: ROOT,
    // No NODE_EXTRA_CA_CERTS or EMULATOR_CA_DIR: the demo must be self-contained after `npm ci`.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; output: string; ms: number }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
  return { done, output: () => output, kill: (sig) => child.kill(sig) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * runDemo in a fresh process that aborts it when a line matching `abortAt` is written, then lets the event
 * loop drain (no process.exit): it only ends when the demo left nothing running (emulator, timers, children).
 */
function abortedDemo(abortAt: RegExp): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const script = `
    import { runDemo } from './scripts/demo.ts';
    const controller = new AbortController();
    const abortAt = new RegExp(${JSON.stringify(abortAt.source)});
    const result = await runDemo({
      signal: controller.signal,
      write: (line) => {
        console.log(line);
        if (abortAt.test(line)) controller.abort();
      },
    });
    console.log('runDemo resolved: ' + result.exitCode);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += '\n(killed: the process did not exit within 15 s)';
      child.kill('SIGKILL');
    }, 15_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

describe('npm run demo', () => {
  it('runs the whole flow in seconds and lists the sample subscriptions', async () => {
    const { code, output, ms } = await startDemo().done;
    console.log(`# demo took ${ms} ms`);
    assert.equal(code, 0, output);
    assert.ok(ms < 30_000, `the demo took ${ms} ms`);
    for (const s of DEMO_USER.subscriptions) {
      assert.match(
        output,
        new RegExp(
          `\\[client\\] +Name: ${s.displayName.replace('/', '\\/')}\\n\\[client\\] +   ID: ${s.subscriptionId}`,
        ),
      );
    }
    assert.match(output, /\[client\] +To sign in, use a web browser/);
    assert.match(output, /\[client\] +✓ Token acquired with device code sign-in/);
    assert.match(output, /\[client\] +✓ Token acquired silently from cache/);
    assert.match(output, /\[client\] +"name": "rg-web",\n\[client\] +"location": "westeurope",/);
    assert.match(output, /\[client\] +Found 2 resource group\(s\) in aaaaaaaa-/);
    assert.match(output, /\[server\] +azure-obo-mcp dev host listening/);
    assert.match(
      output,
      /Emulator saw: 1 device code request\(s\), 1 device code redemption\(s\), 1 OBO exchange\(s\)/,
    );
    assert.doesNotMatch(output, /eyJ[A-Za-z0-9_-]{10,}\.eyJ/, 'no token in the demo output');
  });

  it('Ctrl-C stops the dev host and exits 130', async () => {
    const demo = startDemo();
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /dev host pid (\d+)/.exec(demo.output());
        if (match && /listening/.test(demo.output())) {
          clearInterval(timer);
          resolve(Number(match[1]));
        }
      }, 50);
      void demo.done.then(() => {
        clearInterval(timer);
        reject(new Error(`demo ended early:\n${demo.output()}`));
      });
    });
    assert.ok(alive(pid));
    demo.kill('SIGINT');
    const { code, output } = await demo.done;
    assert.equal(code, 130, output);
    assert.match(output, /Interrupted; stopping everything/);
    assert.equal(alive(pid), false, 'the dev host was stopped');
  });

  it('aborted while the emulator or the dev host is starting, leaves nothing running', async () => {
    for (const abortAt of [/Starting the local Azure emulator/, /dev host pid \d+/]) {
      const { code, output } = await abortedDemo(abortAt);
      assert.match(output, /runDemo resolved: 130/, output);
      assert.match(output, /Interrupted; stopping everything/);
      assert.equal(code, 0, `${abortAt.source}: the process exits on its own\n${output}`);
    }
  });
});
