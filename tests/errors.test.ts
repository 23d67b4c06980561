import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppError,
  ArmError,
  ConfigError,
  CredentialError,
  MetadataUnavailableError,
  OboError,
  TimeoutError,
  TokenError,
  WarmUpError,
} from '../src/errors.js';

describe('error families', () => {
  for (const [error, code] of [
    [new ConfigError('m'), 'config_invalid'],
    [new TokenError('token_expired', 'm'), 'token_expired'],
    [new MetadataUnavailableError('m'), 'metadata_unavailable'],
    [new OboError('obo_failed', 'm'), 'obo_failed'],
    [new CredentialError('secret_not_found', 'm'), 'secret_not_found'],
    [new ArmError('arm_failed', 'm'), 'arm_failed'],
    [new TimeoutError('X', 5), 'timeout'],
    [new WarmUpError('m'), 'warmup_failed'],
  ] as const) {
    it(`${error.name}: an AppError named after its class, code ${code}`, () => {
      assert.ok(error instanceof AppError);
      assert.equal(error.name, error.constructor.name);
      assert.equal(error.code, code);
    });
  }
});

describe('OboError.needsReauthentication', () => {
  for (const [error, expected] of [
    [new OboError('invalid_grant', 'm'), true],
    [new OboError('invalid_grant', 'm', { claims: '{}' }), true],
    [new OboError('interaction_required', 'm', { claims: '{}' }), true],
    [new OboError('interaction_required', 'm'), false],
    [new OboError('consent_required', 'm', { claims: '{}' }), false],
    [new OboError('obo_unavailable', 'm'), false],
  ] as const) {
    it(`${error.code}${error.claims ? ' with claims' : ''} → ${expected}`, () => {
      assert.equal(error.needsReauthentication, expected);
    });
  }
});
