import Cookies from 'js-cookie';

export interface CookieOptions {
  /** Domain to set cookies on; found by test-writing when not given. */
  domain?: string;
  /** Days until the cookie expires. */
  days: number;
}

const PROBE = '_callswap_probe';

/**
 * The registrable domain of `hostname` (`example.co.uk` for `shop.example.co.uk`), found as analytics tools do: by
 * writing a probe cookie from the shortest suffix up until the browser accepts one (it refuses public suffixes).
 * Undefined for IP addresses and single-label hosts, which only take host-only cookies.
 */
export function findCookieDomain(hostname: string): string | undefined {
  if (!hostname.includes('.') || /^[\d.]+$|:/.test(hostname)) return;
  const labels = hostname.split('.');
  try {
    for (let i = labels.length - 2; i >= 0; i--) {
      const domain = labels.slice(i).join('.');
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

/** Writes a JSON cookie: first-party, `SameSite=Lax`, `Secure` on https. Nothing when cookies throw. */
export const writeCookie = (name: string, value: unknown, { domain, days }: CookieOptions): void => {
  try {
    Cookies.set(name, JSON.stringify(value), {
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
 * Deletes a cookie wherever it may have been set for `hostname`: host-only and on each of its parent domains,
 * without probing (a probe cookie would be a write).
 */
export const removeCookie = (name: string, hostname: string): void => {
  try {
    const labels = hostname.split('.');
    labels.forEach((_, i) => Cookies.remove(name, { domain: labels.slice(i).join('.') }));
    Cookies.remove(name);
  } catch {
    // Cookies throw here: none were written.
  }
};
