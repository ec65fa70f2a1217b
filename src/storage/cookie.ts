import Cookies from 'js-cookie';

export interface CookieOptions {
  /** Domain to set cookies on; found by test-writing when not given. */
  domain?: string;
  /** Days until the cookie expires. */
  days: number;
}

const PROBE = '_callswap_probe';

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
      Cookies.set(PROBE, '1', { domain, sameSite: 'Lax', secure: location.protocol == 'https:' });
      if (Cookies.get(PROBE)) {
        Cookies.remove(PROBE, { domain });
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
    return JSON.parse(Cookies.get(name) || 'null') ?? undefined;
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
    Cookies.set(name, JSON.stringify({ ...value, d: domain }), {
      domain,
      expires: days,
      sameSite: 'Lax',
      secure: location.protocol == 'https:',
    });
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
    for (const domain of [readCookie<{ d?: unknown }>(name)?.d, candidates(hostname)[0]]) {
      if (domain && ('.' + hostname).endsWith('.' + domain)) Cookies.remove(name, { domain: domain as string });
    }
    Cookies.remove(name);
  } catch {
    // Cookies throw here: none were written.
  }
};
