import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { clientTelemetryLabel } from '../../src/oauth/client-label.js';

describe('clientTelemetryLabel', () => {
  it('a client metadata document by its URL, without query or fragment', () => {
    assert.equal(
      clientTelemetryLabel('https://claude.ai/oauth/client.json?x=1#y'),
      'https://claude.ai/oauth/client.json',
    );
  });

  it('a registration by 12 characters of the SHA-256 of its (long, signed) client id', () => {
    const id = 'eyJhbGciOiJIUzI1NiJ9.registration.sig';
    const hash = createHash('sha256').update(id).digest('base64url').slice(0, 12);
    assert.equal(clientTelemetryLabel(id), `registered:${hash}`);
    assert.ok(!clientTelemetryLabel(id).includes('registration.sig'));
  });
});
