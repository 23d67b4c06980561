import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailedAnswers } from '../../src/obo/failed-answers.js';
import type { NetworkAnswer } from '../../src/util/msal-network.js';

function answer(over: Partial<NetworkAnswer> & { retryAfter?: string } = {}): NetworkAnswer {
  const { retryAfter, ...rest } = over;
  return {
    url: new URL('https://login.example/t/oauth2/v2.0/token'),
    method: 'POST',
    requestBody: 'grant_type=x&client-request-id=c1',
    status: 400,
    headers: new Headers(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
    body: { error: 'invalid_grant', claims: '{"access_token":{}}' },
    ...rest,
  };
}

describe('FailedAnswers', () => {
  it('keeps status, claims and Retry-After of a failed token answer until taken once', () => {
    const failed = new FailedAnswers();
    failed.record(answer({ status: 429, retryAfter: ' 12 ' }));
    assert.deepEqual(failed.take('c1'), { status: 429, claims: '{"access_token":{}}', retryAfterSec: 12 });
    assert.equal(failed.take('c1'), undefined);
  });

  it('ignores a Retry-After that is not whole seconds, and empty or non-string claims', () => {
    const failed = new FailedAnswers();
    failed.record(answer({ retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT', body: { claims: '' } }));
    assert.deepEqual(failed.take('c1'), { status: 400, claims: undefined, retryAfterSec: undefined });
    failed.record(answer({ body: { claims: 5 } }));
    assert.equal(failed.take('c1')?.claims, undefined);
  });

  it('keeps nothing for a success, a GET or a request without correlation id', () => {
    const failed = new FailedAnswers();
    failed.record(answer({ status: 200 }));
    failed.record(answer({ method: 'GET' }));
    assert.equal(failed.take('c1'), undefined);
    failed.record(answer({ requestBody: 'grant_type=x' }));
    assert.equal(failed.take(''), undefined);
  });

  it('keeps at most 256 answers, dropping the oldest', () => {
    const failed = new FailedAnswers();
    for (let i = 0; i <= 256; i++) failed.record(answer({ requestBody: `client-request-id=c${i}` }));
    assert.equal(failed.take('c0'), undefined);
    assert.equal(failed.take('c1')?.status, 400);
    assert.equal(failed.take('c256')?.status, 400);
  });
});
