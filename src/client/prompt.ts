import { createInterface } from 'node:readline/promises';

/** The answer to a yes/no question: `yes`, `no`, or `no-tty` when stdin is not a terminal. */
export type Confirmation = 'yes' | 'no' | 'no-tty';

/** Asks `question` on stderr (stdout stays clean for --json); anything but y/yes is no. */
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
  } finally {
    rl.close();
  }
}
