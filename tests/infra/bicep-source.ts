// Reads Bicep source just well enough for the infra tests: finds resource declarations by type and reads the
// top level of object literals, skipping strings, comments and nested blocks. No Bicep CLI needed.

/** Index just past the end of the string or comment starting at `i`, or undefined if none starts there. */
function skipLiteral(source: string, i: number): number | undefined {
  if (source.startsWith("'''", i)) {
    const end = source.indexOf("'''", i + 3);
    return end < 0 ? source.length : end + 3;
  }
  if (source[i] === "'") {
    let j = i + 1;
    while (j < source.length && source[j] !== "'") j += source[j] === '\\' ? 2 : 1;
    return j + 1;
  }
  if (source.startsWith('//', i)) {
    const end = source.indexOf('\n', i);
    return end < 0 ? source.length : end;
  }
  if (source.startsWith('/*', i)) {
    const end = source.indexOf('*/', i + 2);
    return end < 0 ? source.length : end + 2;
  }
  return undefined;
}

/** Index just past the bracket that closes the `{`, `[` or `(` at `open`. */
export function matchingBracket(source: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < source.length) {
    const skipped = skipLiteral(source, i);
    if (skipped !== undefined) {
      i = skipped;
      continue;
    }
    const ch = source[i];
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    if (ch === '}' || ch === ']' || ch === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw new Error(`unbalanced brackets from offset ${open}`);
}

/** Bodies (`{ ... }`, braces included) of every `resource` declaration of the given type. */
export function resourceBodies(source: string, type: string): string[] {
  const escaped = type.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const declaration = new RegExp(
    `^resource\\s+\\w+\\s+'${escaped}@[^']+'\\s*(?:existing\\s*)?=\\s*(?:if\\s*\\([^\\n]*\\)\\s*)?\\{`,
    'gm',
  );
  return [...source.matchAll(declaration)].map((match) => {
    const open = match.index + match[0].length - 1;
    return source.slice(open, matchingBracket(source, open));
  });
}

/** One top-level entry of an object literal: its key and its value's source text. */
export interface Entry {
  key: string;
  value: string;
}

/** Top-level entries of the object literal `{ ... }` (braces included), in order; comments dropped. */
export function entries(objectLiteral: string): Entry[] {
  const inner = objectLiteral.slice(1, -1);
  const result: Entry[] = [];
  let i = 0;
  while (i < inner.length) {
    const key = /^[ \t\r\n]*(?:'((?:[^'\\]|\\.)*)'|([A-Za-z_][A-Za-z0-9_]*))[ \t]*:[ \t]*/.exec(
      inner.slice(i),
    );
    if (!key) {
      // A blank line, a comment, or a decorator: skip to the next line.
      const skipped = skipLiteral(inner, inner.slice(i).search(/\S/) + i);
      const next = inner.indexOf('\n', skipped ?? i);
      if (next < 0) break;
      i = next + 1;
      continue;
    }
    const start = i + key[0].length;
    let end = start;
    while (end < inner.length && inner[end] !== '\n') {
      const skipped = skipLiteral(inner, end);
      if (skipped !== undefined && !inner.startsWith('//', end)) {
        end = skipped;
      } else if (inner.startsWith('//', end)) {
        break;
      } else if ('{[('.includes(inner[end]!)) {
        end = matchingBracket(inner, end);
      } else {
        end++;
      }
    }
    result.push({
      key: key[1] ?? key[2]!,
      value: inner
        .slice(start, end)
        .replace(/\/\/.*$/, '')
        .trim(),
    });
    const next = inner.indexOf('\n', end);
    if (next < 0) break;
    i = next + 1;
  }
  return result;
}

/** The value source of top-level `key:` in an object literal, if present. */
export function entry(objectLiteral: string, key: string): string | undefined {
  return entries(objectLiteral).find((e) => e.key === key)?.value;
}
