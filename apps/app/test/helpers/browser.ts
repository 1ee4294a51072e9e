// A minimal cookie-keeping HTTP client over real fetch: follows redirects by hand so tests
// can see every hop, and fills in simple HTML forms. One cookie jar per host (the app and the OP).
import { CookieJar } from '@kit/harness/cookie-jar';

export interface Hop {
  url: string;
  status: number;
  location?: string;
}

export class Browser {
  readonly jars = new Map<string, CookieJar>();
  readonly hops: Hop[] = [];

  cookiesFor(url: string): CookieJar {
    const host = new URL(url).host;
    let cookies = this.jars.get(host);
    if (!cookies) this.jars.set(host, (cookies = new CookieJar()));
    return cookies;
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const cookies = this.cookiesFor(url);
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', cookies.header());
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    cookies.store(res.headers);
    const location = res.headers.get('location') ?? undefined;
    this.hops.push({ url, status: res.status, ...(location ? { location: new URL(location, url).href } : {}) });
    return res;
  }

  /** Follows redirects until a non-redirect answer or until `stopAt` matches the next URL. */
  async follow(url: string, init: RequestInit = {}, stopAt?: (next: string) => boolean): Promise<{ res: Response; url: string }> {
    let current = url;
    let res = await this.request(current, init);
    for (let i = 0; i < 20 && res.status >= 300 && res.status < 400; i++) {
      const next = new URL(res.headers.get('location')!, current).href;
      if (stopAt?.(next)) return { res, url: next };
      await res.body?.cancel();
      current = next;
      res = await this.request(current);
    }
    return { res, url: current };
  }

  async submitForm(pageUrl: string, html: string, fields: Record<string, string> = {}, formIndex = 0) {
    const forms = [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms[formIndex];
    if (!form) throw new Error(`no form #${formIndex} on ${pageUrl}`);
    const body = new URLSearchParams();
    for (const input of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
      body.set(input[1]!, input[2]!);
    }
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    return this.follow(new URL(form[1]!.replace(/&amp;/g, '&'), pageUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  }
}
