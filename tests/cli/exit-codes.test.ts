import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientError, EXIT_CODE_HELP, ExitCode } from '../../cli/exit-codes.js';
import type { FailureKind } from '../../cli/exit-codes.js';

describe('ClientError.exitCode', () => {
  const cases: [FailureKind, number][] = [
    ['generic', 1],
    ['usage', 2],
    ['sign_in', 3],
    ['server_auth', 4],
    ['server_unreachable', 5],
    ['tool', 6],
    ['doctor', 7],
    ['interrupted', 130],
  ];
  for (const [kind, code] of cases) {
    it(`${kind} exits with ${code}`, () => {
      assert.equal(new ClientError(kind, 'm').exitCode, code);
    });
  }
});

describe('ClientError', () => {
  it('carries its kind, message, fix and details', () => {
    const error = new ClientError('server_auth', 'Rejected.', {
      fix: 'Sign in again.',
      details: { status: 401 },
    });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'ClientError');
    assert.equal(error.kind, 'server_auth');
    assert.equal(error.message, 'Rejected.');
    assert.equal(error.fix, 'Sign in again.');
    assert.deepEqual(error.details, { status: 401 });
  });

  it('keeps the cause when given one', () => {
    const cause = new Error('ECONNREFUSED');
    assert.equal(new ClientError('server_unreachable', 'm', { cause }).cause, cause);
  });

  it('has no cause, fix or details when given none', () => {
    const error = new ClientError('generic', 'm');
    assert.equal('cause' in error, false);
    assert.equal(error.fix, undefined);
    assert.equal(error.details, undefined);
  });
});

describe('EXIT_CODE_HELP', () => {
  for (const [name, code] of Object.entries(ExitCode)) {
    it(`documents ${code} (${name})`, () => {
      assert.equal(EXIT_CODE_HELP.filter((line) => line.trimStart().startsWith(`${code} `)).length, 1);
    });
  }

  it('documents no code that does not exist', () => {
    const codes = new Set(Object.values(ExitCode).map(String));
    for (const line of EXIT_CODE_HELP) assert.ok(codes.has(line.trim().split(/\s+/)[0] ?? ''), line);
  });
});
