// What the request path uses to report itself: spans and metrics through the OpenTelemetry API only. Without an SDK
// (MCP_TELEMETRY=off, the default) every call here is the API's no-op; with one (./sdk.ts, loaded only when on) the
// same calls export. Nothing here may take a token, code, secret, assertion, state or URL query: callers pass codes.
// Imported by the lazily loaded request path only (the API stays off the start path); ./state.ts is what starts.
import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  metrics,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Counter, Histogram, Meter, Span } from '@opentelemetry/api';
import { OboError } from '../errors.js';
import { ATTR, METRIC, SCOPE, VERSION } from './names.js';
import { errorType, sdkGeneration } from './state.js';

export { SpanKind, SpanStatusCode, errorType };

// A proxy: it delegates to the SDK's tracer once one is registered, so it can be taken at module load.
const tracer = trace.getTracer(SCOPE, VERSION);

/** Marks `span` failed by `error`'s type. No exception event: its message and stack may carry internals. */
export function failSpan(span: Span, error: unknown): void {
  span.setAttribute(ATTR.errorType, errorType(error));
  if (error instanceof OboError && error.aadsts !== undefined)
    span.setAttribute(ATTR.oboAadsts, error.aadsts);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** Runs `fn` in a new active span (a child of the active one, or of `parent`), ending it however `fn` ends. */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The span of the current request, for attributes learnt along the way (no-op when there is none). */
export function activeSpan(): Span {
  return trace.getActiveSpan() ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
}

/** Marks the active span failed with `code` (an answer that reports a failure without throwing). */
export function markFailed(code: string): void {
  const span = activeSpan();
  span.setAttribute(ATTR.errorType, code);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** The Functions host's trace context of an invocation (InvocationContext.traceContext). */
export interface InvocationTraceContext {
  traceParent?: string | null;
  traceState?: string | null;
}

/** A context for the host's invocation, so our spans are children of its request. */
export function invocationParent(traceContext: InvocationTraceContext | undefined): Context {
  const carrier: Record<string, string> = {};
  if (traceContext?.traceParent) carrier.traceparent = traceContext.traceParent;
  if (traceContext?.traceState) carrier.tracestate = traceContext.traceState;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

interface Instruments {
  toolCalls: Counter;
  requestDuration: Histogram;
  oboExchanges: Counter;
  oboDuration: Histogram;
  verificationFailures: Counter;
  signIns: Counter;
  consentDecisions: Counter;
  armDuration: Histogram;
}

// Seconds, from a cached answer (~ms) to an upstream call at its time budget.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function createInstruments(meter: Meter): Instruments {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, {
      unit: 's',
      description,
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    });
  return {
    toolCalls: meter.createCounter(METRIC.toolCalls, { description: 'MCP tool calls' }),
    requestDuration: seconds(METRIC.requestDuration, 'Duration of POST /mcp'),
    oboExchanges: meter.createCounter(METRIC.oboExchanges, {
      description: 'ARM token lookups (cache or OBO)',
    }),
    oboDuration: seconds(METRIC.oboDuration, 'Duration of On-Behalf-Of exchanges with Entra ID'),
    verificationFailures: meter.createCounter(METRIC.verificationFailures, {
      description: 'Rejected bearer tokens',
    }),
    signIns: meter.createCounter(METRIC.signIns, { description: 'OAuth proxy sign-ins' }),
    consentDecisions: meter.createCounter(METRIC.consentDecisions, { description: 'Consent decisions' }),
    armDuration: seconds(METRIC.armDuration, 'Duration of Azure Resource Manager requests'),
  };
}

// The metrics API has no proxy meter: instruments made before the SDK registers would stay no-ops, so they are
// made on first use and again once the SDK is in place.
let instruments: { generation: number; made: Instruments } | undefined;

export function meters(): Instruments {
  const generation = sdkGeneration();
  if (instruments?.generation !== generation)
    instruments = { generation, made: createInstruments(metrics.getMeter(SCOPE, VERSION)) };
  return instruments.made;
}

/** Seconds since `startMs` (a performance.now() value), for the latency histograms. */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
