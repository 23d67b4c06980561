import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clean, escapeHtml } from '../../src/util/text.js';

describe('clean', () => {
  for (const [name, input, expected] of [
    ['keeps plain text', 'Example MCP Client', 'Example MCP Client'],
    ['keeps non-ASCII letters', 'Ünïcödé Çlient 日本', 'Ünïcödé Çlient 日本'],
    ['replaces C0 controls', 'a\u0000b\u0007c\u001bd', 'a b c d'],
    ['replaces DEL and C1 controls', 'a\u007fb\u0085c\u009bd', 'a b c d'],
    ['replaces line breaks', 'line one\r\nline two', 'line one line two'],
    ['replaces bidi overrides and embeddings', 'abc\u202etxt.exe\u202c', 'abc txt.exe'],
    ['replaces bidi marks', 'a\u200eb\u200fc', 'a b c'],
    ['replaces bidi isolates', 'a\u2066b\u2067c\u2068d\u2069', 'a b c d'],
    ['replaces zero-width characters', 'Goo\u200bgle\u200c\u200d', 'Goo gle'],
    ['replaces the word joiner and BOM', '\ufeffa\u2060b', 'a b'],
    ['collapses spaces', 'a    b \t c', 'a b c'],
    ['trims', '   padded   ', 'padded'],
    ['is empty for only invisible characters', '\u200b\u202e\u0000 ', ''],
  ] as const) {
    it(name, () => {
      assert.equal(clean(input, 100), expected);
    });
  }

  it('keeps text of exactly max characters', () => {
    assert.equal(clean('abcdef', 6), 'abcdef');
  });

  it('truncates longer text to max characters, the last an ellipsis', () => {
    assert.equal(clean('abcdefg', 6), 'abcde…');
  });

  it('does not cut a character of two UTF-16 code units in half when it truncates', () => {
    const out = clean('a\u{1F600}cd', 3);
    assert.doesNotMatch(
      out,
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
      'a lone surrogate',
    );
    assert.ok([...out].length <= 3, 'at most 3 characters (code points)');
    assert.ok(out.startsWith('a') && out.endsWith('…'), out);
  });

  it('truncates after cleaning', () => {
    assert.equal(clean('  a\u0000\u0000\u0000b  ', 3), 'a b');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;',
    );
  });

  it('leaves other text alone', () => {
    assert.equal(escapeHtml('Plain text, 100% (ü) = ok'), 'Plain text, 100% (ü) = ok');
  });

  it('escapes an existing entity again (no double decoding)', () => {
    assert.equal(escapeHtml('&lt;script&gt;'), '&#38;lt;script&#38;gt;');
  });
});
