// Text the server chose (metadata, challenges, tool results, names) is shown in the user's terminal: escape
// sequences in it could recolour, hide or rewrite what the CLI prints (ANSI injection), and bidirectional
// overrides could make one text read as another. So everything the CLI prints goes through here.
import { stripVTControlCharacters } from 'node:util';

// DEL, C1 controls (8-bit CSI U+009B among them), and the invisible direction marks, embeddings, overrides and
// isolates; with the C0 controls but tab and newline, what is removed.
const TERMINAL_CONTROLS = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${TERMINAL_CONTROLS}]`, 'g');
const RAW_IN_JSON = new RegExp(`[${TERMINAL_CONTROLS}]`, 'g');

/** `text` without escape sequences or control characters; tabs and newlines stay (multi-line text). */
export function printable(text: string): string {
  return stripVTControlCharacters(text).replace(UNSAFE, '');
}

/** `text` as one line: printable, with every run of line breaks and tabs turned into one space. */
export function oneLine(text: string): string {
  return printable(text).replace(/[\t\n\u2028\u2029]+/g, ' ');
}

/**
 * `value` as indented JSON that is safe to print raw: JSON.stringify escapes C0 controls itself, and the
 * characters it leaves raw that a terminal would act on (DEL, C1, direction controls) are escaped too, so
 * the document keeps every character of the data.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    RAW_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
