// Opens the sign-in page for `--auth browser`. The URL always goes to stderr first (it carries no secret: the
// PKCE challenge, state and loopback redirect only), so a machine without a browser can still sign in elsewhere.
import { spawn } from 'node:child_process';

/**
 * The command that opens `url`: `BROWSER` when set (a command line; `%s` is replaced by the URL, else the URL is
 * the last argument; no shell is involved), else the platform's opener.
 */
export function browserCommand(
  url: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
): [string, string[]] {
  const custom = env.BROWSER?.trim();
  if (custom) {
    // BROWSER may list alternatives separated by ':'; the first one is used.
    const [command, ...args] = (custom.split(':')[0] ?? custom).trim().split(/\s+/);
    const withUrl = args.some((a) => a.includes('%s'))
      ? args.map((a) => a.replaceAll('%s', url))
      : [...args, url];
    return [command!, withUrl];
  }
  if (platform === 'darwin') return ['open', [url]];
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

/** Prints the sign-in URL via `note` and tries to open a browser; never fails when there is none. */
export async function openBrowser(url: string, note: (message: string) => void): Promise<void> {
  note(`To sign in, open this URL in a browser (trying to open it for you): ${url}`);
  const [command, args] = browserCommand(url);
  await new Promise<void>((resolve) => {
    let child;
    try {
      child = spawn(command, args, { stdio: 'ignore', detached: true });
    } catch {
      note(`Could not start ${command}; open the URL above yourself.`);
      resolve();
      return;
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      note(
        `Could not open a browser (${command}: ${error.code ?? error.message}); open the URL above yourself.`,
      );
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
