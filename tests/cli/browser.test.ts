import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { browserCommand, openBrowser } from '../../cli/browser.js';

const URL_ = 'http://127.0.0.1:1/authorize?state=s';

describe('browserCommand', () => {
  const cases: [string, Record<string, string>, NodeJS.Platform, [string, string[]]][] = [
    ['xdg-open on Linux', {}, 'linux', ['xdg-open', [URL_]]],
    ['open on macOS', {}, 'darwin', ['open', [URL_]]],
    ['rundll32 on Windows', {}, 'win32', ['rundll32', ['url.dll,FileProtocolHandler', URL_]]],
    ['BROWSER, with the URL as last argument', { BROWSER: 'firefox' }, 'linux', ['firefox', [URL_]]],
    [
      'BROWSER with arguments',
      { BROWSER: 'chromium --incognito' },
      'darwin',
      ['chromium', ['--incognito', URL_]],
    ],
    ['BROWSER with %s, replaced by the URL', { BROWSER: 'w3m %s -dump' }, 'linux', ['w3m', [URL_, '-dump']]],
    ['the first of BROWSER alternatives', { BROWSER: 'lynx:links' }, 'linux', ['lynx', [URL_]]],
    ['the platform opener for a blank BROWSER', { BROWSER: '   ' }, 'linux', ['xdg-open', [URL_]]],
  ];
  for (const [what, env, platform, expected] of cases) {
    it(`uses ${what}`, () => {
      assert.deepEqual(browserCommand(URL_, env, platform), expected);
    });
  }

  it('never involves a shell: the URL stays one argument', () => {
    const tricky = 'http://x/?a=1;rm -rf ~&b=$(id)';
    assert.deepEqual(browserCommand(tricky, { BROWSER: 'firefox' }, 'linux'), ['firefox', [tricky]]);
  });
});

describe('openBrowser', () => {
  const saved = process.env.BROWSER;
  afterEach(() => {
    if (saved === undefined) delete process.env.BROWSER;
    else process.env.BROWSER = saved;
  });

  it('prints the URL first, then opens the browser quietly', async () => {
    process.env.BROWSER = 'true';
    const notes: string[] = [];
    await openBrowser(URL_, (m) => notes.push(m));
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /open this URL in a browser/);
    assert.ok(notes[0]?.endsWith(URL_));
  });

  it('says to open the URL by hand when there is no browser, and does not fail', async () => {
    process.env.BROWSER = 'azure-obo-mcp-no-such-browser';
    const notes: string[] = [];
    await openBrowser(URL_, (m) => notes.push(m));
    assert.equal(notes.length, 2);
    assert.ok(notes[0]?.endsWith(URL_));
    assert.match(notes[1] ?? '', /Could not open a browser \(azure-obo-mcp-no-such-browser: ENOENT\)/);
  });
});
