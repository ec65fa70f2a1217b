// Site lists, space-separated. The referrer reports the NAMED ones by name (`google`); GA4's default channel group
// also counts the others when it groups sources into channels. https://support.google.com/analytics/answer/9756891
const NAMED_SEARCH = 'google bing yahoo duckduckgo ecosia baidu yandex startpage qwant brave naver seznam';
const NAMED_SOCIAL = 'facebook instagram linkedin twitter pinterest tiktok reddit threads snapchat';
export const SEARCH = NAMED_SEARCH + ' ask aol msn';
export const SOCIAL = NAMED_SOCIAL + ' whatsapp messenger quora tumblr vk discord telegram mastodon';
export const VIDEO = 'youtube vimeo twitch dailymotion wistia';
export const SHOPPING = 'amazon ebay etsy shopify walmart aliexpress';
/** AI assistants: reported by host, channel `ai_assistant`. */
export const AI = 'chatgpt.com chat.openai.com perplexity.ai gemini.google.com copilot.microsoft.com claude.ai';
const WEBMAIL = 'mail.google.com outlook.live.com outlook.office.com outlook.office365.com mail.yahoo.com com.google.android.gm';

/** Hosts whose name is not their domain's. */
const ALIASES: Record<string, string> = {
  't.co': 'twitter',
  'x.com': 'twitter',
  'lnkd.in': 'linkedin',
  'youtu.be': 'youtube',
  'fb.me': 'facebook',
  'ya.ru': 'yandex',
  't.me': 'telegram',
  'com.google.android.googlequicksearchbox': 'google',
};

/** Whether a space-separated list holds `item`. */
export const has = (list: string, item: string): boolean => !item.includes(' ') && ` ${list} `.includes(` ${item} `);

/**
 * The name a host or source is listed under: its alias, or its domain without subdomains and public suffix
 * (`google` for google.co.uk, yahoo for nl.search.yahoo.com, pinterest for pinterest.com.au).
 */
export const nameOf = (host: string): string => {
  const labels = host.split('.');
  const n = labels.length;
  return ALIASES[host] || (n < 2 ? host : labels[n - (n > 2 && /^(com?|org|net|ac|gov|ne|or)$/.test(labels[n - 2]!) ? 3 : 2)]!);
};

/** Strips a leading `www.` and lowercases. */
export const bareHost = (host: string): string => host.toLowerCase().replace(/^www\./, '');

/** Source and medium for a referrer host from another site (already bare). */
export function classifyHost(host: string): [source: string, medium: string] {
  const name = nameOf(host);
  return has(AI, host)
    ? [host, 'referral']
    : has(WEBMAIL, host)
      ? [host, 'email']
      : has(NAMED_SEARCH, name)
        ? [name, 'organic']
        : has(NAMED_SOCIAL + ' youtube', name)
          ? [name, 'referral']
          : [host, 'referral'];
}
