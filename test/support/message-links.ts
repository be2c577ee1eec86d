/**
 * The links of an alert message, read the way their targets read them: the `<a href>` links of a
 * Telegram message or an email's HTML part (entities decoded as Telegram does), the matchers of a
 * silence link as Alertmanager's UI parses its `filter` parameter, and the time range of a
 * dashboard link as Grafana and the local viewer read `from` and `to`.
 */
import assert from 'node:assert/strict';
import { decodeEntities } from './telegram-double.ts';

/** One `<a href="...">text</a>` of a message. */
export interface MessageLink {
  text: string;
  /** The URL, entities decoded. */
  href: string;
}

/** Every link of `html` (a Telegram message as posted, or an email's HTML part), in order. */
export function messageLinks(html: string): MessageLink[] {
  return [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => {
    const href = decodeEntities(m[1] as string);
    assert.ok(href !== undefined, `a bare & in the link ${m[1]}`);
    return { text: m[2] as string, href };
  });
}

/** The links of `html` whose text is `text` (e.g. "Silence"). */
export function linksNamed(html: string, text: string): string[] {
  return messageLinks(html)
    .filter((l) => l.text === text)
    .map((l) => l.href);
}

/** One matcher of a silence link: the label, its value, and the matcher as written in the filter. */
export interface SilenceMatcher {
  name: string;
  value: string;
  /** `name="value"` with the escapes of the filter, as Alertmanager's matcher parser takes it. */
  written: string;
}

/**
 * The matchers a silence link prefills: `<external URL>/#/silences/new?filter=...`, the filter
 * percent-decoded (without reading + as a space, like the UI) and parsed with the UI's grammar,
 * `{name="value", ...}` with equality matchers only. Fails on anything else.
 */
export function silenceMatchers(href: string, externalUrl: string): SilenceMatcher[] {
  const prefix = `${externalUrl.replace(/\/+$/, '')}/#/silences/new?filter=`;
  assert.ok(href.startsWith(prefix), `${href} is not the new-silence form under ${externalUrl}`);
  const encoded = href.slice(prefix.length);
  assert.match(encoded, /^[A-Za-z0-9._~%-]+$/, 'the filter is fully percent-encoded (no +, &, # or =)');
  const filter = decodeURIComponent(encoded);
  const item = /([A-Za-z0-9_]+)="((?:[^"\\]|\\.)*)"/y;
  assert.match(filter, /^\{.*\}$/s, filter);
  const matchers: SilenceMatcher[] = [];
  for (let at = 1; at < filter.length - 1; ) {
    if (matchers.length > 0) {
      assert.equal(filter[at], ',', `a ',' between matchers at ${at} of ${filter}`);
      at += 1;
    }
    item.lastIndex = at;
    const m = item.exec(filter);
    assert.ok(m, `no name="value" matcher at ${at} of ${filter}`);
    matchers.push({ name: m[1] as string, value: (m[2] as string).replace(/\\(.)/gs, '$1'), written: m[0] });
    at = item.lastIndex;
  }
  return matchers;
}

/** A dashboard link's path and time range: `from`/`to` as epoch milliseconds, `to` possibly 'now'. */
export function dashboardRange(href: string): { base: string; from: number; to: number | 'now' } {
  const url = new URL(href);
  const params = [...url.searchParams.keys()];
  assert.deepEqual(params, ['from', 'to'], `${href}: only from and to`);
  const from = url.searchParams.get('from') as string;
  const to = url.searchParams.get('to') as string;
  assert.match(from, /^[0-9]{13}$/, 'from in epoch milliseconds');
  assert.match(to, /^([0-9]{13}|now)$/, 'to in epoch milliseconds, or now');
  return { base: `${url.origin}${url.pathname}`, from: Number(from), to: to === 'now' ? 'now' : Number(to) };
}
