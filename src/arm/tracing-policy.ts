import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { ATTR, SPAN } from '../telemetry/names.js';
import { SpanKind, SpanStatusCode, inSpan, meters, secondsSince } from '../telemetry/telemetry.js';

/** One ARM listing in progress: its operation, and its pages by URL with their attempts so far. */
export interface ArmListing {
  operation: string;
  pages: Map<string, { page: number; attempts: number }>;
}

/** One span (arm.request) and one arm.request.duration per HTTP attempt: page, retry, status; no query. */
export function armTracingPolicy(listing: ArmListing): PipelinePolicy {
  return {
    name: 'azureOboMcpTelemetry',
    sendRequest: (request, next) => {
      const { operation, pages } = listing;
      const seen = pages.get(request.url);
      const page = seen ?? { page: pages.size + 1, attempts: 0 };
      pages.set(request.url, page);
      const url = new URL(request.url);
      const attributes = {
        [ATTR.httpMethod]: request.method,
        [ATTR.serverAddress]: url.host,
        [ATTR.urlPath]: url.pathname,
        [ATTR.armOperation]: operation,
        [ATTR.armPage]: page.page,
        [ATTR.resendCount]: page.attempts++,
      };
      const started = performance.now();
      return inSpan(
        SPAN.armRequest,
        attributes,
        async (span) => {
          const status = await next(request).then(
            (response) => response,
            (error: unknown) => {
              meters().armDuration.record(secondsSince(started), { [ATTR.armOperation]: operation });
              throw error;
            },
          );
          span.setAttribute(ATTR.httpStatus, status.status);
          if (status.status >= 400) {
            span.setAttribute(ATTR.errorType, String(status.status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          meters().armDuration.record(secondsSince(started), {
            [ATTR.armOperation]: operation,
            [ATTR.httpStatus]: status.status,
          });
          return status;
        },
        { kind: SpanKind.CLIENT },
      );
    },
  };
}
