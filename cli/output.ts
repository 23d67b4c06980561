import { ClientError } from './exit-codes.js';
import { oneLine } from './terminal-text.js';

/** The ─── rule between subscriptions, as in the Python demo's output. */
export const RULE = '─'.repeat(80);

/** A subscription as get_subscriptions returns it. */
export interface Subscription {
  subscriptionId: string;
  displayName: string;
  state: string;
  tenantId: string;
}

/** A token shown without its secret part: a short prefix and "…". */
export function redactToken(token: string): string {
  return `${token.slice(0, 12)}…`;
}

/** The line that shows the token: redacted with its expiry, or in full with --show-token. */
export function tokenLine(token: string, expiresOn: Date | null, showToken: boolean): string {
  const expiry = expiresOn ? `expires ${expiresOn.toISOString()}` : 'expiry unknown';
  if (showToken) return `Full Bearer Token: ${token}\n   (${expiry})`;
  return `Bearer token: ${redactToken(token)} (${expiry}; --show-token prints it in full)`;
}

/** `Available tools: ['a', 'b']`, like the Python demo prints its list. */
export function toolsLine(names: string[]): string {
  return `Available tools: [${names.map((n) => `'${oneLine(n)}'`).join(', ')}]`;
}

/** The ✓ lines of get_user_info. */
export function userLines(info: Record<string, unknown> | undefined): string[] {
  const str = (v: unknown) => (typeof v === 'string' && v ? oneLine(v) : '(unknown)');
  const scopes = Array.isArray(info?.scopes) ? oneLine(info.scopes.join(' ')) : '(unknown)';
  return [
    `✓ User: ${str(info?.upn)}`,
    `✓ Name: ${str(info?.name)}`,
    `✓ Tenant: ${str(info?.tenantId)}`,
    `✓ Scopes: ${scopes}`,
  ];
}

/** Reads the subscriptions out of get_subscriptions' structured content. */
export function subscriptionsOf(structured: Record<string, unknown> | undefined): {
  subscriptions: Subscription[];
  truncated: boolean;
} {
  const list = Array.isArray(structured?.subscriptions) ? (structured.subscriptions as Subscription[]) : [];
  return { subscriptions: list, truncated: structured?.truncated === true };
}

/** "✓ Found N subscriptions" and the ─── separated blocks with Name/ID/State/Tenant. */
export function subscriptionLines(subscriptions: Subscription[], truncated: boolean): string[] {
  const n = subscriptions.length;
  const lines = [
    `✓ Found ${n} subscription${n === 1 ? '' : 's'}${truncated ? ' (truncated at the server limit)' : ''}`,
  ];
  if (n === 0) return lines;
  lines.push('Azure Subscriptions:', RULE);
  for (const s of subscriptions) {
    // Server data, one line each (a display name could carry line breaks or escape sequences).
    const field = (v: unknown) => oneLine(String(v));
    lines.push(
      `Name: ${field(s.displayName)}`,
      `   ID: ${field(s.subscriptionId)}`,
      `   State: ${field(s.state)}`,
      `   Tenant: ${field(s.tenantId)}`,
      RULE,
    );
  }
  return lines;
}

/** A failure for stderr: "✗ cause", "  Fix: ...", and the stack only when verbose. */
export function errorLines(error: unknown, verbose: boolean): string[] {
  const lines: string[] = [];
  if (error instanceof ClientError) {
    // Messages may quote the server (a challenge's error_description, a tool's text): one line each.
    lines.push(`✗ ${oneLine(error.message)}`);
    if (error.fix) lines.push(`  Fix: ${oneLine(error.fix)}`);
    if (verbose) {
      const www = error.details?.wwwAuthenticate;
      if (typeof www === 'string') lines.push(`  WWW-Authenticate: ${oneLine(www)}`);
      let cause: unknown = error.cause;
      while (cause instanceof Error) {
        lines.push(`  Caused by: ${cause.stack ?? cause.message}`);
        cause = cause.cause;
      }
    }
  } else {
    lines.push(`✗ Unexpected error: ${oneLine(error instanceof Error ? error.message : String(error))}`);
    if (verbose && error instanceof Error && error.stack) lines.push(error.stack);
    else lines.push('  (run with --verbose for details)');
  }
  return lines;
}

/** The `--json` document of a failure. */
export function errorDocument(error: ClientError): Record<string, unknown> {
  return {
    ok: false,
    error: {
      kind: error.kind,
      exitCode: error.exitCode,
      message: error.message,
      ...(error.fix ? { fix: error.fix } : {}),
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

/**
 * A successful tool result for people: the structured content as indented JSON, then the text blocks that are not
 * just that JSON serialized (the server's summary); results without structured content print their text.
 */
export function toolResultLines(result: { structuredContent?: unknown; content: unknown[] }): string[] {
  const texts = result.content.flatMap((c) => {
    const { type, text } = c as { type?: unknown; text?: unknown };
    return type === 'text' && typeof text === 'string' ? [text] : [];
  });
  if (result.structuredContent === undefined)
    return texts.length > 0 ? texts : [JSON.stringify(result.content, null, 2)];
  const serialized = JSON.stringify(result.structuredContent);
  return [JSON.stringify(result.structuredContent, null, 2), ...texts.filter((t) => t !== serialized)];
}
