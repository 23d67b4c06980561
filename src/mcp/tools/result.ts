import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * A successful tool result: `structuredContent`, its serialized JSON as the first text block (MCP 2025-06-18 and
 * later: a tool returning structured content SHOULD also return it serialized in a text block; clients written for
 * the Python demo parse `content[0].text` as JSON), then a one-line summary for people. Compact JSON: it is read
 * by programs and models, and indentation would only add tokens.
 */
export function structuredResult<T extends Record<string, unknown>>(
  structuredContent: T,
  summary: string,
): CallToolResult & { structuredContent: T } {
  return {
    content: [
      { type: 'text', text: JSON.stringify(structuredContent) },
      { type: 'text', text: summary },
    ],
    structuredContent,
  };
}
