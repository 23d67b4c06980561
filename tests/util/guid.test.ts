import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GUID } from '../../src/util/guid.js';

describe('GUID', () => {
  for (const id of ['aebc6443-996d-45c2-90f0-388ff96faa56', 'CAFE0000-0000-4000-8000-00000000BEEF']) {
    it(`accepts ${id}`, () => {
      assert.equal(GUID.test(id), true);
    });
  }

  for (const id of [
    'aebc6443-996d-45c2-90f0-388ff96faa5',
    ' aebc6443-996d-45c2-90f0-388ff96faa56',
    'aebc6443-996d-45c2-90f0-388ff96faa56x',
    '{aebc6443-996d-45c2-90f0-388ff96faa56}',
    'aebc6443996d45c290f0388ff96faa56',
    'contoso.onmicrosoft.com',
  ]) {
    it(`refuses ${JSON.stringify(id)}`, () => {
      assert.equal(GUID.test(id), false);
    });
  }
});
