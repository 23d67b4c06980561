import { startEmulator } from '../emulator/index.js';
import { loadSettings } from '../src/config/settings.js';
import { createRuntime } from '../src/runtime.js';
const em = await startEmulator();
const settings = loadSettings(em.env('secret'));
const quiet = { info() {}, warn() {}, error() {} };
const rt = createRuntime(settings, quiet, {});
await rt.prefetch();
const t0 = performance.now();
const users = [];
for (let i = 0; i < 3; i++) users.push(await rt.verifier.verify(await em.issueUserToken({})));
const t1 = performance.now();
const times: string[] = [];
for (const u of users) { const t = performance.now(); const arm = rt.armClient(u); const l = await arm.listSubscriptions(); times.push((performance.now() - t).toFixed(1)); }
console.log('verify x3', (t1 - t0).toFixed(1), 'obo+arm per user', times.join(' '));
await em.stop();
