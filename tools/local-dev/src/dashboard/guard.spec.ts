/**
 * Who may make the dashboard do work, as a table of verdicts: the headers each kind of sender
 * really sends (Chromium's for its own page, for a foreign page, for a typed address; curl's).
 */
import { checkAction, checkRead, type RequestFacts } from './guard';

const PORT = 9999;
const TOKEN = 'a1b2c3d4e5f6';
const get = (facts: Partial<RequestFacts>): RequestFacts => ({
  method: 'GET',
  host: `127.0.0.1:${PORT}`,
  origin: undefined,
  token: undefined,
  fetchSite: undefined,
  ...facts,
});

describe('checkRead: a GET that does work (snapshot, event streams)', () => {
  it.each<[string, Partial<RequestFacts>, 'ok' | [number, RegExp]]>([
    ['its own page (EventSource: token in the URL, same-origin)', { token: TOKEN, fetchSite: 'same-origin' }, 'ok'],
    ['its own page in a browser without Sec-Fetch-Site (token only)', { token: TOKEN }, 'ok'],
    [
      'its own page with an out-of-date token, but same-origin',
      { token: 'a1b2c3d4e5f7', fetchSite: 'same-origin' },
      [403, /wrong dashboard token \(reload the page\)/],
    ],
    ["its own page's fetch without the token (same-origin)", { fetchSite: 'same-origin' }, 'ok'],
    ['the address typed by the user (Sec-Fetch-Site: none)', { fetchSite: 'none' }, 'ok'],
    ['a request naming its own Origin', { origin: `http://localhost:${PORT}` }, 'ok'],
    [
      "a foreign page's no-cors fetch (cross-site, Origin of the page)",
      { fetchSite: 'cross-site', origin: 'http://evil.example' },
      [403, /another web page \(Sec-Fetch-Site: cross-site\)/],
    ],
    ["a foreign page's no-cors GET (cross-site, no Origin)", { fetchSite: 'cross-site' }, [403, /another web page/]],
    [
      'a page of another local server (same-site: ports do not make sites)',
      { fetchSite: 'same-site', origin: 'http://127.0.0.1:3000' },
      [403, /Sec-Fetch-Site: same-site/],
    ],
    ['a foreign page in a browser without Sec-Fetch-Site', { origin: 'http://evil.example' }, [403, /Origin "http:\/\/evil.example" is not this dashboard/]],
    ['a sandboxed page (Origin: null)', { origin: 'null' }, [403, /Origin "null"/]],
    ['a foreign page that somehow has the token', { fetchSite: 'cross-site', token: TOKEN }, [403, /another web page/]],
    [
      "an old browser's foreign page, or curl: nothing at all",
      {},
      [403, /missing dashboard token: open the dashboard itself, http:\/\/127\.0\.0\.1:9999\/ \(a script sends the header x-dashboard-token/],
    ],
    ['a wrong token of another length', { token: 'a1' }, [403, /wrong dashboard token/]],
    [
      'a Host that is not the dashboard (DNS rebinding), even with the token',
      { host: 'evil.example:9999', token: TOKEN, fetchSite: 'same-origin' },
      [403, /Host "evil.example:9999" is not this dashboard/],
    ],
  ])('%s', (_who, facts, expected) => {
    const verdict = checkRead(get(facts), PORT, TOKEN);
    if (expected === 'ok') expect(verdict).toEqual({ ok: true });
    else expect(verdict).toEqual({ ok: false, status: expected[0], reason: expect.stringMatching(expected[1]) as string });
  });
});

describe('checkAction', () => {
  it('still needs POST, its own Origin and the token, whatever Sec-Fetch-Site says', () => {
    const post = (facts: Partial<RequestFacts>) =>
      checkAction({ ...get({ method: 'POST', origin: `http://127.0.0.1:${PORT}`, token: TOKEN, fetchSite: 'same-origin' }), ...facts }, PORT, TOKEN);
    expect(post({})).toEqual({ ok: true });
    expect(post({ method: 'GET' })).toMatchObject({ ok: false, status: 405 });
    expect(post({ origin: undefined })).toMatchObject({ ok: false, status: 403 });
    expect(post({ token: undefined })).toMatchObject({ ok: false, status: 403 });
  });
});
