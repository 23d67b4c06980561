// What the request path uses to report itself: spans and metrics through the OpenTelemetry API only. Without an SDK
// (MCP_TELEMETRY=off, the default) every call here is the API's no-op; with one (./sdk.ts, loaded only when on) the
// same calls export. Nothing here may take a token, code, secret, assertion, state or URL query: callers pass codes.
import { createHmac } from 'node:crypto';
import { format } from 'node:util';
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
import type { TelemetrySettings } from '../config/settings.js';
import { AppError, OboError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { ATTR, METRIC } from './names.js';

export { SpanKind, SpanStatusCode };
export const SCOPE = 'azure-obo-mcp';
export const VERSION = '0.1.0';

// A proxy: it delegates to the SDK's tracer once one is registered, so it can be taken at module load.
const tracer = trace.getTracer(SCOPE, VERSION);

/** An error as telemetry names it: this app's stable code, or the class name of anything else (never a message). */
export function errorType(error: unknown): string {
  if (error instanceof AppError) return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

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

/** A context for the host's invocation (InvocationContext.traceContext), so our spans are children of its request. */
export function invocationParent(
  traceContext: { traceParent?: string | null; traceState?: string | null } | undefined,
): Context {
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
let instruments: Instruments | undefined;

export function meters(): Instruments {
  return (instruments ??= createInstruments(metrics.getMeter(SCOPE, VERSION)));
}

/** Seconds since `startMs` (a performance.now() value), for the latency histograms. */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}

interface Active {
  user: TelemetrySettings['user'];
  userKey: string;
  log: ((level: 'warn' | 'error', message: string) => void) | undefined;
  shutdown: () => Promise<void>;
}

let active: Active | undefined;

/** How the user appears on spans (MCP_TELEMETRY_USER); nothing while telemetry is off. */
export function userAttributes(oid: string): Attributes {
  if (!active || active.user === 'none') return {};
  if (active.user === 'oid') return { [ATTR.userId]: oid };
  return { [ATTR.userPseudoId]: createHmac('sha256', active.userKey).update(oid).digest('hex') };
}

/** Passes `logger`'s warnings and errors on to the OpenTelemetry log exporter too, when there is one (OTLP). */
export function withTelemetryLog(logger: Logger): Logger {
  const emit = (level: 'warn' | 'error', message: string, args: unknown[]) =>
    active?.log?.(level, args.length > 0 ? format(message, ...args) : message);
  // Warnings and errors only: an info line per request would double what every request exports, and the
  // console (the host's log in Azure) has them all.
  return {
    info: (m, ...a) => logger.info(m, ...a),
    warn: (m, ...a) => (logger.warn(m, ...a), emit('warn', m, a)),
    error: (m, ...a) => (logger.error(m, ...a), emit('error', m, a)),
  };
}

let starting: Promise<void> | undefined;

/**
 * MCP_TELEMETRY=on: loads the SDK and its exporters (a chunk of their own, off the module-load path) and registers
 * them. Once; never rejects (telemetry failing must not fail the app): a failure is one log line.
 */
export function startTelemetry(settings: TelemetrySettings, logger: Logger): Promise<void> {
  if (!settings.enabled) return Promise.resolve();
  starting ??= import('./sdk.js')
    .then(async ({ startSdk }) => {
      const sdk = await startSdk(settings);
      active = { user: settings.user, userKey: settings.userKey, log: sdk.log, shutdown: sdk.shutdown };
      instruments = undefined;
      logger.info(`telemetry: exporting to ${sdk.destinations.join(' and ')}.`);
    })
    .catch((error: unknown) => {
      logger.warn(`telemetry: not started (${errorType(error)}); the app runs without it.`);
    });
  return starting;
}

/** Exports what is buffered and stops (the app is shutting down). */
export async function stopTelemetry(): Promise<void> {
  await starting;
  await active?.shutdown();
}
