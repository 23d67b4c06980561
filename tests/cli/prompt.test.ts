import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ClientError } from '../../cli/exit-codes.js';
import { confirm } from '../../cli/prompt.js';

describe('confirm', () => {
  it('Ctrl-C at the prompt is an interrupted ClientError (exit 130)', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    setTimeout(() => (input as unknown as PassThrough).write('\x03'), 20);
    await assert.rejects(
      confirm('Continue? ', input, output),
      (e: unknown) => e instanceof ClientError && e.kind === 'interrupted' && e.exitCode === 130,
    );
  });

  it('y/yes is yes, anything else no; no terminal is no-tty', async () => {
    const ask = async (answer: string) => {
      const input = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
      setTimeout(() => (input as unknown as PassThrough).write(`${answer}\n`), 20);
      return confirm('Continue? ', input, new PassThrough());
    };
    assert.equal(await ask('y'), 'yes');
    assert.equal(await ask(' YES '), 'yes');
    assert.equal(await ask('n'), 'no');
    assert.equal(await confirm('?', new PassThrough() as unknown as NodeJS.ReadStream), 'no-tty');
  });
});
