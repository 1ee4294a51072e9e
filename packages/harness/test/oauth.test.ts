import { describe, expect, it } from 'vitest';
import { httpReply } from '../src/http.js';
import { accountsOn, basic, codeFrom, csrfOf, form } from '../src/oauth.js';

describe('the scripted OAuth client helpers', () => {
  it('form-encodes client credentials before Basic (RFC 6749 §2.3.1)', () => {
    expect(Buffer.from(basic('a:b', 'c d+').slice('Basic '.length), 'base64').toString()).toBe('a%3Ab:c%20d%2B');
  });

  it('posts forms URL-encoded and finds the CSRF token of an interaction page', () => {
    expect(form({ email: 'a@b', _csrf: 'x y' })).toEqual({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40b&_csrf=x+y',
    });
    expect(csrfOf('<input type="hidden" name="_csrf" value="t0k">')).toBe('t0k');
    expect(() => csrfOf('<form></form>')).toThrow('no CSRF token');
  });

  it('repeats a field for a list (checkboxes) and reads the consent page\'s account checkboxes', () => {
    expect(form({ _csrf: 't', account: ['a1', 'a 2'] }).body).toBe('_csrf=t&account=a1&account=a+2');
    expect(form({ account: [] }).body).toBe('');
    const page = [
      '<input type="checkbox" name="account" value="acc-1" class="mt-1" checked>',
      '<input type="checkbox" name="account" value="acc-2" class="mt-1">',
      '<input type="checkbox" name="other" value="x" checked>',
    ].join('\n');
    expect(accountsOn(page)).toEqual({ listed: ['acc-1', 'acc-2'], checked: ['acc-1'] });
  });

  it("reads the code, state or error from the OP's redirect to the client, and nothing else", () => {
    const redirect = httpReply(303, new Headers({ location: 'https://rp.example.test/cb?code=c1&state=s1' }), '');
    expect(codeFrom(redirect)).toEqual({ code: 'c1', state: 's1', error: null });
    expect(() => codeFrom(httpReply(200, new Headers(), '<html>'))).toThrow('expected a redirect to the client, got 200');
  });
});
