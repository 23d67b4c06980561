import { createInterface } from 'node:readline/promises';
import { ClientError } from './exit-codes.js';

/** The answer to a yes/no question: `yes`, `no`, or `no-tty` when stdin is not a terminal. */
export type Confirmation = 'yes' | 'no' | 'no-tty';

/**
 * Asks `question` on stderr (stdout stays clean for --json); anything but y/yes is no. Ctrl-C at the prompt
 * (readline's AbortError) throws ClientError('interrupted'), i.e. exit 130.
 */
export async function confirm(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Promise<Confirmation> {
  if (!input.isTTY) return 'no-tty';
  const rl = createInterface({ input, output });
  try {
    const answer = await rl.question(question);
    return /^\s*y(es)?\s*$/i.test(answer) ? 'yes' : 'no';
  } catch (error) {
    const e = error as { code?: unknown; name?: unknown };
    if (e.code === 'ABORT_ERR' || e.name === 'AbortError')
      throw new ClientError('interrupted', 'Interrupted at the prompt (Ctrl-C).', { cause: error });
    throw error;
  } finally {
    rl.close();
  }
}
