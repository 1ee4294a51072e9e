import { describe, expect, it } from 'vitest';
import { CookieJar } from '../src/cookie-jar.js';

const answer = (...lines: string[]) => {
  const headers = new Headers();
  for (const line of lines) headers.append('set-cookie', line);
  return headers;
};

describe('the cookie jar', () => {
  it('keeps name=value pairs and sends them back in one Cookie header', () => {
    const jar = new CookieJar();
    jar.store(answer('sid=abc; Path=/; HttpOnly; Secure', 'pref=a=b; Max-Age=60'));
    expect(jar.header()).toBe('sid=abc; pref=a=b');
    expect(jar.get('pref')).toBe('a=b');
  });

  it('forgets a cookie set empty or expired in 1970, as servers clear one', () => {
    const jar = new CookieJar();
    jar.store(answer('a=1', 'b=2', 'c=3'));
    jar.store(answer('a=; Path=/', 'b=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT'));
    expect(jar.has('a')).toBe(false);
    expect(jar.has('b')).toBe(false);
    expect(jar.header()).toBe('c=3');
  });

  it('clones into an independent jar', () => {
    const jar = new CookieJar();
    jar.set('sid', 'one');
    const copy = jar.clone();
    copy.set('sid', 'two');
    expect([jar.get('sid'), copy.get('sid'), copy.size]).toEqual(['one', 'two', 1]);
  });
});
