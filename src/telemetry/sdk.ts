// The OpenTelemetry SDK, loaded only with MCP_TELEMETRY=on (a chunk of its own). Hand-assembled rather than the
// @azure/monitor-opentelemetry distro: the distro brings the Node SDK and a dozen auto-instrumentations (HTTP,
// databases, loggers) this app does not use, which a cold start would load; these are the parts it does use.
import { hostname } from 'node:os';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { IMetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetrySettings } from '../config/settings.js';
import { managedIdentityCredential } from '../obo/identity.js';
import { VERSION } from './names.js';

// OpenTelemetry's SeverityNumber values (api-logs) for the levels exported.
const SEVERITY = { warn: 13, error: 17 } as const;
// Every export is an upstream call and gets a time budget (the SDK's default is 10 s; a stuck collector must not
// hold buffers longer than a request would wait).
const EXPORT_TIMEOUT_MS = 10_000;

export interface StartedSdk {
  destinations: string[];
  log: ((level: keyof typeof SEVERITY, message: string) => void) | undefined;
  shutdown: () => Promise<void>;
}

async function azureMonitorExporters(
  azure: NonNullable<TelemetrySettings['azureMonitor']>,
): Promise<{ spans: SpanExporter; metrics: PushMetricExporter }> {
  const { AzureMonitorMetricExporter, AzureMonitorTraceExporter } =
    await import('@azure/monitor-opentelemetry-exporter');
  const options = {
    connectionString: azure.connectionString,
    // Entra-authenticated ingestion (the resource has local authentication off): the app's managed identity.
    ...(azure.entraAuthentication
      ? { credential: managedIdentityCredential(azure.managedIdentityClientId) }
      : {}),
    // Retries are buffered in memory only: an instance's disk is not kept, and nothing should outlive the export.
    disableOfflineStorage: true,
  };
  return { spans: new AzureMonitorTraceExporter(options), metrics: new AzureMonitorMetricExporter(options) };
}

/** Registers the SDK globally (tracer, meter, propagator, context manager) with the configured exporters. */
export async function startSdk(settings: TelemetrySettings, env = process.env): Promise<StartedSdk> {
  const resource = resourceFromAttributes({
    'service.name': settings.serviceName,
    'service.version': VERSION,
    'service.instance.id': env.WEBSITE_INSTANCE_ID ?? hostname(),
  });
  const spanProcessors: SpanProcessor[] = [];
  const readers: IMetricReader[] = [];
  const destinations: string[] = [];
  let logs: LoggerProvider | undefined;
  const reader = (exporter: PushMetricExporter) =>
    new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: settings.metricIntervalMs,
      exportTimeoutMillis: Math.min(EXPORT_TIMEOUT_MS, settings.metricIntervalMs),
    });
  const batch = (exporter: SpanExporter) =>
    new BatchSpanProcessor(exporter, { scheduledDelayMillis: settings.exportDelayMs });
  if (settings.otlpEndpoint) {
    const [{ OTLPTraceExporter }, { OTLPMetricExporter }, { OTLPLogExporter }] = await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/exporter-metrics-otlp-http'),
      import('@opentelemetry/exporter-logs-otlp-http'),
    ]);
    const at = (signal: string) => ({
      url: `${settings.otlpEndpoint}/v1/${signal}`,
      timeoutMillis: EXPORT_TIMEOUT_MS,
    });
    spanProcessors.push(batch(new OTLPTraceExporter(at('traces'))));
    readers.push(reader(new OTLPMetricExporter(at('metrics'))));
    // Logs go to OTLP only: in Azure the Functions host already sends every log line to Application Insights.
    logs = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter(at('logs')),
          scheduledDelayMillis: settings.exportDelayMs,
        }),
      ],
    });
    destinations.push(`OTLP ${new URL(settings.otlpEndpoint).host}`);
  }
  if (settings.azureMonitor) {
    const exporters = await azureMonitorExporters(settings.azureMonitor);
    spanProcessors.push(batch(exporters.spans));
    readers.push(reader(exporters.metrics));
    destinations.push('Azure Monitor');
  }
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors });
  const meterProvider = new MeterProvider({ resource, readers });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  const logger = logs?.getLogger('azure-obo-mcp', VERSION);
  return {
    destinations,
    log: logger
      ? (level, message) =>
          logger.emit({
            severityNumber: SEVERITY[level],
            severityText: level.toUpperCase(),
            body: message,
            context: context.active(),
          })
      : undefined,
    shutdown: async () => {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), logs?.shutdown()]);
    },
  };
}
