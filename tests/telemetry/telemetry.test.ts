import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OboError, TokenError } from '../../src/errors.js';
import { errorType, inSpan, invocationParent, markFailed } from '../../src/telemetry/telemetry.js';
import { userAttributes } from '../../src/telemetry/state.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

before(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});

after(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

describe('telemetry', () => {
  it('errorType: an app error by its code, anything else by its class, never its message', () => {
    assert.equal(errorType(new TokenError('token_expired', 'Token has expired.')), 'token_expired');
    assert.equal(errorType(new TypeError('secret value abc')), 'TypeError');
    assert.equal(errorType('a string'), 'unknown');
  });

  it('inSpan: a failure marks the span with its code and AADSTS number, records no exception event, and rethrows', async () => {
    exporter.reset();
    const failure = new OboError('consent_required', 'message with details', { aadsts: 65001 });
    await assert.rejects(
      inSpan('obo.exchange', { 'obo.cache': 'miss' }, () => Promise.reject(failure)),
      failure,
    );
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.name, 'obo.exchange');
    assert.equal(span?.status.code, 2);
    assert.equal(span?.status.message, undefined, 'no message on the status');
    assert.deepEqual(span?.attributes, {
      'obo.cache': 'miss',
      'error.type': 'consent_required',
      'obo.aadsts': 65001,
    });
    assert.deepEqual(span?.events, []);
  });

  it('inSpan: nested spans are parent and child; markFailed marks the active one', async () => {
    exporter.reset();
    await inSpan('mcp.request', {}, () =>
      inSpan('mcp.tool_call', {}, () => {
        markFailed('arm_forbidden');
        return Promise.resolve();
      }),
    );
    const [child, parent] = exporter.getFinishedSpans();
    assert.equal(child?.parentSpanContext?.spanId, parent?.spanContext().spanId);
    assert.equal(child?.attributes['error.type'], 'arm_forbidden');
    assert.equal(parent?.status.code, 0);
  });

  it("invocationParent: spans started under it join the host invocation's trace as its children", async () => {
    exporter.reset();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const hostSpan = 'b7ad6b7169203331';
    const parent = invocationParent({ traceParent: `00-${traceId}-${hostSpan}-01`, traceState: 'az=1' });
    await inSpan('mcp.request', {}, () => Promise.resolve(), { parent });
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.spanContext().traceId, traceId);
    assert.equal(span?.parentSpanContext?.spanId, hostSpan);
    assert.equal(span?.spanContext().traceState?.get('az'), '1');
  });

  it('invocationParent: no or a malformed trace context starts a trace of its own', async () => {
    exporter.reset();
    await inSpan('a', {}, () => Promise.resolve(), { parent: invocationParent(undefined) });
    await inSpan('b', {}, () => Promise.resolve(), { parent: invocationParent({ traceParent: 'garbage' }) });
    for (const span of exporter.getFinishedSpans()) assert.equal(span.parentSpanContext, undefined);
  });

  it('userAttributes: nothing while telemetry is not started', () => {
    assert.deepEqual(userAttributes('0b1c2d3e-0000-4000-8000-000000000000'), {});
  });
});
