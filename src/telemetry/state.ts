// Telemetry's start and its process-wide state, on the app's start path: nothing here loads OpenTelemetry (the SDK
// is a chunk of its own, ./sdk.ts; the API comes with the request path, ./telemetry.ts).
import { createHmac } from 'node:crypto';
import { format } from 'node:util';
import type { TelemetrySettings } from '../config/settings.js';
import { AppError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { ATTR } from './names.js';

/** An error as telemetry names it: this app's stable code, or the class name of anything else (never a message). */
export function errorType(error: unknown): string {
  if (error instanceof AppError) return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

interface Active {
  user: TelemetrySettings['user'];
  userKey: string;
  log: ((level: 'warn' | 'error', message: string) => void) | undefined;
  shutdown: () => Promise<void>;
}

let active: Active | undefined;
let generation = 0;

/** How the user appears on spans (MCP_TELEMETRY_USER); nothing while telemetry is off. */
export function userAttributes(oid: string): Record<string, string> {
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
      generation++;
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

/** True once the SDK runs (MCP_TELEMETRY=on and started): work done only for telemetry can be skipped otherwise. */
export function telemetryActive(): boolean {
  return active !== undefined;
}

/** Bumped when the SDK registers: instruments made before then are no-ops and are made again. */
export function sdkGeneration(): number {
  return generation;
}

/**
 * `fn` in a span, for modules on the start path: the API (./telemetry.ts) is imported only once telemetry runs,
 * so it stays off the start path; off, `fn` simply runs.
 */
export async function tracedOffStartPath<T>(
  name: string,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  if (!active) return fn();
  const { inSpan } = await import('./telemetry.js');
  return inSpan(name, attributes, fn);
}
