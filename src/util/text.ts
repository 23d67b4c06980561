// Control characters (C0, DEL, C1) and the Unicode bidirectional and zero-width formatting characters: text
// someone else chose must not reorder or hide what is shown around it.
// eslint-disable-next-line no-control-regex -- matching them is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+/g;

/** `text` without control or formatting characters, spaces collapsed, trimmed, at most `max` characters. */
export function clean(text: string, max: number): string {
  const out = text.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  // By code points, so no character is cut in half.
  const chars = [...out];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : out;
}

/** `text` for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
