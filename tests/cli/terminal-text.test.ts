import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneLine, printable, terminalJson } from '../../cli/terminal-text.js';
import { terminalControls } from '../helpers/terminal-controls.js';

// ANSI CSI and OSC sequences, BEL, CR, 8-bit CSI, a right-to-left override, DEL.
const HOSTILE = 'a\u001b[31mred\u001b[0m\u001b]0;title\u0007b\rc\u009b2Jd\u202eexe.txt\u007fe';

describe('terminal text', () => {
  it('printable drops escape sequences and control characters, keeping newlines and tabs', () => {
    assert.equal(printable(`${HOSTILE}\nf\tg`), 'aredbcdexe.txte\nf\tg');
    assert.deepEqual(terminalControls(printable(HOSTILE).replace(/\t/g, '')), []);
  });

  it('oneLine also folds line breaks, so server text cannot start a line of its own', () => {
    assert.equal(oneLine('x\r\n\n✓ Connected\ty'), 'x ✓ Connected y');
  });

  it('terminalJson keeps every character of the data and prints none a terminal acts on', () => {
    const text = terminalJson({ text: HOSTILE });
    assert.deepEqual(terminalControls(text.replace(/\n/g, '')), []);
    assert.deepEqual(JSON.parse(text), { text: HOSTILE });
  });
});
