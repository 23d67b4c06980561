import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SpanStatusCode } from '@opentelemetry/api';
import { ATTR, SPAN } from '../../telemetry/names.js';
import { inSpan, meters } from '../../telemetry/telemetry.js';
import type { ToolContext } from '../context.js';

/** Runs one tool call in its span (mcp.tool_call) and counts it (mcp.tool.calls) by tool, outcome and client. */
export function traced<R extends CallToolResult>(
  ctx: ToolContext,
  tool: string,
  run: () => R | Promise<R>,
): Promise<R> {
  return inSpan(SPAN.toolCall, { [ATTR.tool]: tool }, async (span) => {
    const result = await run();
    const outcome = result.isError === true ? 'tool_error' : 'ok';
    span.setAttribute(ATTR.outcome, outcome);
    if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR });
    ctx.onToolResult?.(outcome);
    meters().toolCalls.add(1, {
      [ATTR.tool]: tool,
      [ATTR.outcome]: outcome,
      ...(ctx.client ? { [ATTR.client]: ctx.client } : {}),
    });
    return result;
  });
}
