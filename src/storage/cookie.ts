export interface CookieOptions {
  /** Domain to set cookies on; found by test-writing when not given. */
  domain?: string;
  /** Days until the cookie expires. */
  days: number;
}

const PROBE = '_callswap_probe';

/**
 * Writes a cookie for the whole site, `SameSite=Lax`, `Secure` on https; `days` < 0 deletes it. The value keeps the
 * characters RFC 6265 allows in a cookie value (so JSON stays short and readable, as js-cookie writes it) and
 * percent-encodes the rest, `%` too. Our three calls need no more of js-cookie, whose API cost 587 B gzip of the
 * script tag.
 */
const set = (name: string, value: string, domain?: string, days?: number): void => {
  document.cookie =
    `${name}=${value.replace(/[^!#$&-+\--:<-[\]-~]/gu, encodeURIComponent)}; path=/` +
    (domain ? '; domain=' + domain : '') +
    (days != null ? '; expires=' + new Date(Date.now() + days * 864e5).toUTCString() : '') +
    '; samesite=lax' +
    (location.protocol == 'https:' ? '; secure' : '');
};

/** A cookie's value, decoded; undefined when there is none (or it is not percent-encoding we can read). */
const get = (name: string): string | undefined => {
  for (const cookie of document.cookie.split('; ')) {
    const at = cookie.indexOf('=');
    if (cookie.slice(0, at) == name) return decodeURIComponent(cookie.slice(at + 1));
  }
  return;
};

/**
 * A second-level public suffix by its shape: a generic label under a country's two letters (`co.uk`, `com.au`,
 * `org.nz`, `ac.za`). The probe starts above these, because Firefox logs an error for every cookie it refuses.
 */
const PUBLIC = /^(com?|net|org|gov|ac|edu|ne|go|or)\.[a-z]{2}$/;

/** The suffixes of `hostname` that may be its registrable domain, shortest first; none for IPs and single labels. */
const candidates = (hostname: string): string[] => {
  if (!hostname.includes('.') || /^[\d.]+$|:/.test(hostname)) return [];
  const labels = hostname.split('.');
  // Each suffix of two labels or more, shortest first.
  return labels.map((_, i) => labels.slice(i).join('.')).reverse().slice(1).filter((domain) => !PUBLIC.test(domain));
};

/**
 * The registrable domain of `hostname` (`example.co.uk` for `shop.example.co.uk`), found as analytics tools do: by
 * writing a probe cookie from the shortest suffix up until the browser accepts one (it refuses public suffixes),
 * skipping the suffixes that look public (a refused probe is a console error in Firefox). Undefined for IP
 * addresses and single-label hosts, which only take host-only cookies.
 */
export function findCookieDomain(hostname: string): string | undefined {
  try {
    for (const domain of candidates(hostname)) {
      set(PROBE, '1', domain);
      if (get(PROBE)) {
        set(PROBE, '', domain, -1);
        return domain;
      }
    }
  } catch {
    // document.cookie throws here (a sandboxed frame, a page that blocks it): no cookie domain, no cookies.
  }
  return;
}

/** Reads a JSON cookie; undefined when it is missing or not JSON. */
export const readCookie = <T>(name: string): T | undefined => {
  try {
    return (JSON.parse(get(name) || 'null') as T | null) ?? undefined;
  } catch {
    return;
  }
};

/**
 * Writes a JSON object cookie: first-party, `SameSite=Lax`, `Secure` on https, with the domain it was written on
 * (`d`), so that removing it names that domain only. Nothing when cookies throw.
 */
export const writeCookie = (name: string, value: object, { domain, days }: CookieOptions): void => {
  try {
    set(name, JSON.stringify({ ...value, d: domain }), domain, days);
  } catch {
    // Cookies throw here: the visit is attributed per page view.
  }
};

/**
 * Deletes a cookie written by writeCookie: host-only, on the domain it says it was written on, and on the likely
 * registrable domain of `hostname` (without probing: a probe cookie would be a write). Never on a domain the
 * browser would refuse, which Firefox logs as an error.
 */
export const removeCookie = (name: string, hostname: string): void => {
  try {
    for (const domain of [readCookie<{ d?: string }>(name)?.d, candidates(hostname)[0]]) {
      if (domain && ('.' + hostname).endsWith('.' + domain)) set(name, '', domain, -1);
    }
    set(name, '', undefined, -1);
  } catch {
    // Cookies throw here: none were written.
  }
};
