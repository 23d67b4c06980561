// An OTLP/HTTP (JSON) receiver in the test process: what a collector at OTEL_EXPORTER_OTLP_ENDPOINT gets, kept raw
// (for leak scans) and flattened (spans, metric points, log records) for assertions.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
type KeyValue = { key: string; value: AnyValue };

export interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
  /** 0 unset, 1 ok, 2 error */
  status: number;
  attributes: Record<string, string | number | boolean>;
  events: unknown[];
}

export interface ReceivedPoint {
  service: string;
  metric: string;
  attributes: Record<string, string | number | boolean>;
  /** Sum's value, or a histogram's count. */
  value: number;
}

export interface ReceivedLog {
  service: string;
  severity: string;
  body: string;
  traceId: string;
}

function value(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue ?? '';
}

function attributes(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}

interface Resource {
  resource?: { attributes?: KeyValue[] };
}

function service(r: Resource): string {
  return String(attributes(r.resource?.attributes)['service.name'] ?? '');
}

export interface OtlpReceiver {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request body as received, for leak scans. */
  raw: () => string[];
  spans: (service?: string) => ReceivedSpan[];
  points: (service?: string) => ReceivedPoint[];
  logs: (service?: string) => ReceivedLog[];
  waitFor: <T>(what: string, find: () => T | undefined, timeoutMs?: number) => Promise<T>;
  stop: () => Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const raw: string[] = [];
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const logs: ReceivedLog[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      raw.push(text);
      if (!/json/.test(req.headers['content-type'] ?? '')) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(text) as Record<string, unknown>;
      if (req.url === '/v1/traces') {
        for (const rs of (body.resourceSpans ?? []) as (Resource & {
          scopeSpans?: { spans?: Record<string, unknown>[] }[];
        })[])
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                service: service(rs),
                name: String(s.name),
                traceId: String(s.traceId),
                spanId: String(s.spanId),
                parentSpanId: typeof s.parentSpanId === 'string' ? s.parentSpanId : '',
                kind: Number(s.kind),
                status: Number((s.status as { code?: number } | undefined)?.code ?? 0),
                attributes: attributes(s.attributes as KeyValue[]),
                events: (s.events as unknown[]) ?? [],
              });
      } else if (req.url === '/v1/metrics') {
        type DataPoint = {
          attributes?: KeyValue[];
          asInt?: string;
          asDouble?: number;
          count?: string | number;
        };
        type Metric = {
          name: string;
          sum?: { dataPoints: DataPoint[] };
          histogram?: { dataPoints: DataPoint[] };
        };
        for (const rm of (body.resourceMetrics ?? []) as (Resource & {
          scopeMetrics?: { metrics?: Metric[] }[];
        })[])
          for (const sm of rm.scopeMetrics ?? [])
            for (const m of sm.metrics ?? []) {
              for (const p of m.sum?.dataPoints ?? [])
                points.push({
                  service: service(rm),
                  metric: m.name,
                  attributes: attributes(p.attributes),
                  value: Number(p.asInt ?? p.asDouble ?? 0),
                });
              for (const p of m.histogram?.dataPoints ?? [])
                points.push({
                  service: service(rm),
                  metric: m.name,
                  attributes: attributes(p.attributes),
                  value: Number(p.count ?? 0),
                });
            }
      } else if (req.url === '/v1/logs') {
        type Log = { severityText?: string; body?: AnyValue; traceId?: string };
        for (const rl of (body.resourceLogs ?? []) as (Resource & { scopeLogs?: { logRecords?: Log[] }[] })[])
          for (const sl of rl.scopeLogs ?? [])
            for (const l of sl.logRecords ?? [])
              logs.push({
                service: service(rl),
                severity: l.severityText ?? '',
                body: String(value(l.body ?? {})),
                traceId: l.traceId ?? '',
              });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const of = <T extends { service: string }>(list: T[], name?: string) =>
    name ? list.filter((x) => x.service === name) : [...list];
  return {
    url: `http://127.0.0.1:${port}`,
    raw: () => [...raw],
    spans: (name) => of(spans, name),
    points: (name) => of(points, name),
    logs: (name) => of(logs, name),
    async waitFor(what, find, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find();
        if (found !== undefined && found !== false) return found;
        if (Date.now() > deadline) throw new Error(`OTLP receiver: no ${what} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
