import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOOL_USAGE_FIX, toolErrorCode, toolErrorFix } from '../../cli/tool-errors.js';

// Every code a tool error can end with (src/errors.ts, the README's troubleshooting table).
const CODES = [
  'consent_required',
  'interaction_required',
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'invalid_scope',
  'obo_unavailable',
  'obo_throttled',
  'obo_failed',
  'config_invalid',
  'secret_not_found',
  'keyvault_forbidden',
  'keyvault_unavailable',
  'identity_unavailable',
  'credential_failed',
  'arm_forbidden',
  'arm_unauthorized',
  'arm_not_found',
  'arm_throttled',
  'arm_timeout',
  'arm_unavailable',
  'arm_bad_request',
  'arm_failed',
  'timeout',
  'internal_error',
];

describe('toolErrorFix', () => {
  it('reads the code at the end of the message', () => {
    assert.equal(toolErrorCode('You may not. [arm_forbidden]'), 'arm_forbidden');
    assert.equal(toolErrorCode('MCP error -32602: Input validation error'), undefined);
  });

  it('every code has a fix of its own', () => {
    for (const code of CODES) assert.notEqual(toolErrorFix(`m [${code}]`), TOOL_USAGE_FIX, code);
  });

  it('arm_forbidden: an RBAC role; consent_required: admin consent; obo_throttled: wait', () => {
    assert.match(toolErrorFix('x [arm_forbidden]'), /RBAC role .* such as Reader/);
    assert.match(toolErrorFix('x [consent_required]'), /admin-consent/);
    assert.match(toolErrorFix('retry in 30 seconds [obo_throttled]'), /wait the seconds/);
  });

  it('no code (unknown tool, bad arguments) or an unknown one: the usage, which --help now gives', () => {
    assert.equal(toolErrorFix('Tool nope not found'), TOOL_USAGE_FIX);
    assert.equal(toolErrorFix('x [brand_new]'), TOOL_USAGE_FIX);
    assert.match(TOOL_USAGE_FIX, /--help lists the tools and their arguments/);
  });
});
