/** Process exit codes of the `azure-obo-mcp` client CLI (documented in `--help`). */
export const ExitCode = {
  /** Success, or the user declined to continue at the prompt. */
  ok: 0,
  /** Unexpected failure. */
  generic: 1,
  /** Bad command line: unknown flag, missing client id, arguments that are not a JSON object. */
  usage: 2,
  /** Sign-in failed: Entra ID refused the device code / refresh, or the token cache is unusable. */
  signIn: 3,
  /** The MCP server rejected the token (HTTP 401/403 with a WWW-Authenticate challenge). */
  serverAuth: 4,
  /** The MCP server could not be reached, or the URL is not an MCP endpoint. */
  serverUnreachable: 5,
  /** A tool call failed (isError result or JSON-RPC error). */
  tool: 6,
  /** `doctor` found at least one failed check (the server answered, but clients would fail). */
  doctor: 7,
  /** Interrupted with Ctrl-C. */
  interrupted: 130,
} as const;

/** One of the documented exit codes. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Failure categories, as reported in `--json` error documents. */
export type FailureKind =
  'generic' | 'usage' | 'sign_in' | 'server_auth' | 'server_unreachable' | 'tool' | 'doctor' | 'interrupted';

const CODES: Record<FailureKind, ExitCodeValue> = {
  generic: ExitCode.generic,
  usage: ExitCode.usage,
  sign_in: ExitCode.signIn,
  server_auth: ExitCode.serverAuth,
  server_unreachable: ExitCode.serverUnreachable,
  tool: ExitCode.tool,
  doctor: ExitCode.doctor,
  interrupted: ExitCode.interrupted,
};

/** A failure the CLI reports as "cause" + "fix" and maps to an exit code; messages never carry secrets. */
export class ClientError extends Error {
  readonly kind: FailureKind;
  /** What to do about it, shown after the cause. */
  readonly fix: string | undefined;
  /** Extra machine-readable details for `--json` (e.g. the server challenge). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    kind: FailureKind,
    message: string,
    options: { fix?: string; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.kind = kind;
    this.fix = options.fix;
    this.details = options.details;
  }

  /** The process exit code of this failure. */
  get exitCode(): ExitCodeValue {
    return CODES[this.kind];
  }
}

/** Help text lines describing the exit codes. */
export const EXIT_CODE_HELP = [
  '  0  success (or declined at the prompt)',
  '  1  unexpected error',
  '  2  usage error (bad flags, missing client id, tool arguments not a JSON object)',
  '  3  sign-in failed (Entra ID error, unusable token cache)',
  '  4  the MCP server rejected the token (HTTP 401/403)',
  '  5  the MCP server is unreachable or not an MCP endpoint',
  '  6  a tool call failed',
  '  7  doctor: at least one check failed (5 when the server cannot be reached at all)',
  '  130 interrupted (Ctrl-C)',
];
