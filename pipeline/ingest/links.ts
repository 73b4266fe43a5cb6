/** Links of an HTML page (for watching the page a city posts its reports on). */

export interface PageLink {
  /** Absolute URL, without #fragment. */
  url: string;
  /** The link's text, tags removed and whitespace collapsed. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Strip the fragment so that page.pdf and page.pdf#page=2 compare equal. */
export function canonicalUrl(url: string): string {
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

/**
 * Every <a href> of the page as an absolute URL (resolved against <base href> or the
 * page URL), in document order, without duplicates. Not a full HTML parser: enough for
 * the links of a CMS page; comments and scripts are skipped.
 */
export function extractLinks(html: string, pageUrl: string): PageLink[] {
  const doc = html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ');
  const hrefOf = (attrs: string) => {
    const m = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(attrs);
    return m ? decodeEntities((m[1] ?? m[2] ?? m[3] ?? '').trim()) : null;
  };
  let base = pageUrl;
  const baseTag = /<base\b([^>]*)>/i.exec(doc);
  const baseHref = baseTag ? hrefOf(baseTag[1]!) : null;
  if (baseHref) {
    try {
      base = new URL(baseHref, pageUrl).href;
    } catch {
      /* an unusable <base> is ignored, as browsers do */
    }
  }
  const seen = new Set<string>();
  const links: PageLink[] = [];
  for (const m of doc.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const href = hrefOf(m[1]!);
    if (!href || /^(javascript|mailto|tel|data):/i.test(href)) continue;
    let url: string;
    try {
      url = canonicalUrl(new URL(href, base).href);
    } catch {
      continue;
    }
    if (!/^https?:/.test(url) || seen.has(url)) continue;
    seen.add(url);
    const text = decodeEntities(m[2]!.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
    links.push({ url, text });
  }
  return links;
}
