import type { Analytics } from '../lease/protocol.js';

/**
 * Google Analytics' ids of this visitor, read from its cookies: the client id from `_ga` (`GA1.1.<id>.<time>` →
 * `<id>.<time>`) and the session id from a `_ga_<container>` cookie, in the older `GS1.1.<session>.…` format or the
 * newer `GS2.1.s<session>$o…`. Undefined without a `_ga` cookie. Read only with analytics_storage granted.
 */
export function getGaIds(): Analytics | undefined {
  const cookies = document.cookie;
  const client = /(?:^|; )_ga=GA\d\.\d+\.(\d{1,20}\.\d{1,20})/.exec(cookies);
  const session = /(?:^|; )_ga_\w+=GS\d\.\d+\.s?(\d{1,20})/.exec(cookies);
  return client ? { clientId: client[1]!, ...(session && { sessionId: session[1] }) } : undefined;
}
