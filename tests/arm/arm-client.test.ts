// ArmClient against the emulator's ARM: one retry with a fresh token after a 401, never more.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { ArmClient } from '../../src/arm/arm-client.js';
import { ArmError } from '../../src/errors.js';
import type { OboClient } from '../../src/obo/obo-client.js';
import type { VerifiedUser } from '../../src/auth/verifier.js';
import { emulatorOboClient } from '../helpers/obo-client.js';
import { verifiedUser } from '../helpers/verified-user.js';
import type { Logger } from '../../src/util/log.js';

let emulator: Emulator;
const logger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

before(async () => {
  emulator = await startEmulator();
});
after(() => emulator.stop());
beforeEach(() => emulator.resetCounts());

async function setup(): Promise<{
  arm: ArmClient;
  evictions: () => number;
  obo: OboClient;
  user: VerifiedUser;
}> {
  const token = await emulator.issueUserToken({});
  const user = verifiedUser(emulator, token, emulator.clientId);
  const obo = emulatorOboClient(emulator, logger);
  let evictions = 0;
  const arm = new ArmClient(() => obo.getArmToken(user), {
    endpoint: emulator.armUrl,
    timeoutMs: 15_000,
    onUnauthorized: () => {
      evictions++;
      obo.evict(user);
    },
  });
  return { arm, evictions: () => evictions, obo, user };
}

describe('ArmClient after an ARM 401', () => {
  it('evicts the cached token once and retries with a freshly exchanged one', async () => {
    const { arm, evictions, obo, user } = await setup();
    await obo.getArmToken(user); // cached
    emulator.injectFault('arm', { status: 401 });
    const { items } = await arm.listSubscriptions();
    assert.equal(items.length, emulator.users[0]!.subscriptions.length);
    assert.equal(evictions(), 1);
    assert.equal(emulator.counts()['entra.token.obo'], 2, 'the cached exchange, then one fresh one');
  });

  it('a second 401 is final: arm_unauthorized, one eviction, no loop', async () => {
    const { arm, evictions } = await setup();
    // Exactly two: a third attempt would succeed, so the rejection proves there is none.
    emulator.injectFault('arm', { status: 401, times: 2 });
    await assert.rejects(arm.listSubscriptions(), (error: unknown) => {
      assert.ok(error instanceof ArmError);
      assert.equal(error.code, 'arm_unauthorized');
      return true;
    });
    assert.equal(evictions(), 1);
    assert.equal(emulator.counts()['arm.subscriptions'], 2);
  });

  it('other ARM failures are not retried with a new token', async () => {
    const { arm, evictions } = await setup();
    emulator.injectFault('arm', { status: 403, times: 1 });
    await assert.rejects(arm.listSubscriptions(), ArmError);
    assert.equal(evictions(), 0);
  });
});
