/**
 * Links of an HTML page (for watching the page a city posts its reports on).
 *
 * The page is read by htmlparser2's streaming tokenizer: one pass, linear in the size of
 * the page whatever its markup (a regular expression over unclosed `<a ` tags was
 * quadratic: 16,000 of them took seconds and a 5 MB page hours). The work is bounded
 * (LINK_LIMITS), and `extractLinksAsync` feeds the page in slices, yielding to the event
 * loop between them, so timeouts and SIGTERM stay effective while it runs.
 */
import { Parser } from 'htmlparser2';

export interface PageLink {
  /** Absolute URL, without #fragment. */
  url: string;
  /** The link's text, tags removed and whitespace collapsed. */
  text: string;
}

export const LINK_LIMITS = {
  /** Links kept from one page; a CMS page has tens, the rest of a larger page is ignored. */
  maxLinks: 10_000,
  /** Characters of a link's text kept (the text only labels a discovered link in the run report). */
  maxTextChars: 500,
  /** Characters of HTML parsed between two yields to the event loop (extractLinksAsync). */
  sliceChars: 64 * 1024,
} as const;

/** Strip the fragment so that page.pdf and page.pdf#page=2 compare equal. */
export function canonicalUrl(url: string): string {
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

/** Raw <a href> values and their texts, collected while the page streams through the tokenizer. */
class LinkCollector {
  readonly raw: Array<{ href: string; text: string }> = [];
  baseHref: string | null = null;
  private current: { href: string; text: string } | null = null;
  private skipDepth = 0;
  readonly parser: Parser;

  constructor() {
    this.parser = new Parser(
      {
        onopentag: (name, attrs) => this.open(name, attrs),
        onclosetag: (name) => this.close(name),
        ontext: (text) => this.text(text),
      },
      { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
    );
  }

  private open(name: string, attrs: Record<string, string>): void {
    if (name === 'script' || name === 'style') this.skipDepth++;
    else if (name === 'base' && this.baseHref === null && attrs.href !== undefined) this.baseHref = attrs.href.trim();
    else if (name === 'a') {
      this.finish();
      if (attrs.href !== undefined && this.raw.length < LINK_LIMITS.maxLinks) this.current = { href: attrs.href.trim(), text: '' };
    } else if (this.current) this.current.text += ' '; // tags inside a link separate words
  }

  private close(name: string): void {
    if (name === 'script' || name === 'style') this.skipDepth = Math.max(0, this.skipDepth - 1);
    else if (name === 'a') this.finish();
    else if (this.current) this.current.text += ' '; // </span> etc. separate words as the old tag stripping did
  }

  private text(t: string): void {
    if (this.current && this.skipDepth === 0 && this.current.text.length < LINK_LIMITS.maxTextChars * 2) this.current.text += t;
  }

  private finish(): void {
    if (this.current) this.raw.push(this.current);
    this.current = null;
  }

  end(): void {
    this.parser.end();
    this.finish();
  }
}

/** Absolute, de-duplicated http(s) links, resolved against <base href> (if usable) or the page URL. */
function resolveLinks(c: LinkCollector, pageUrl: string): PageLink[] {
  let base = pageUrl;
  if (c.baseHref) {
    try {
      base = new URL(c.baseHref, pageUrl).href;
    } catch {
      /* an unusable <base> is ignored, as browsers do */
    }
  }
  const seen = new Set<string>();
  const links: PageLink[] = [];
  for (const { href, text } of c.raw) {
    if (!href || /^(javascript|mailto|tel|data):/i.test(href)) continue;
    let url: string;
    try {
      url = canonicalUrl(new URL(href, base).href);
    } catch {
      continue;
    }
    if (!/^https?:/.test(url) || seen.has(url)) continue;
    seen.add(url);
    links.push({ url, text: text.replace(/\s+/g, ' ').trim().slice(0, LINK_LIMITS.maxTextChars) });
  }
  return links;
}

/**
 * Every <a href> of the page as an absolute URL (resolved against <base href> or the
 * page URL), in document order, without duplicates; comments, scripts and styles are
 * skipped. At most LINK_LIMITS.maxLinks links.
 */
export function extractLinks(html: string, pageUrl: string): PageLink[] {
  const c = new LinkCollector();
  c.parser.write(html);
  c.end();
  return resolveLinks(c, pageUrl);
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * extractLinks for a page of any size without blocking the process: the page is fed in
 * slices of LINK_LIMITS.sliceChars with a turn of the event loop between them, and
 * `check` (which throws to stop, e.g. on an aborted signal or a passed deadline) runs
 * before every slice.
 */
export async function extractLinksAsync(html: string, pageUrl: string, check: () => void = () => {}): Promise<PageLink[]> {
  const c = new LinkCollector();
  for (let at = 0; at < html.length; at += LINK_LIMITS.sliceChars) {
    check();
    c.parser.write(html.slice(at, at + LINK_LIMITS.sliceChars));
    await yieldToLoop();
  }
  check();
  c.end();
  return resolveLinks(c, pageUrl);
}
