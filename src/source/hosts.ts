// Referrer hosts we name. `name.*` means the name under any country domain (google.nl, google.co.uk,
// google.com.au); any other entry matches that host and its subdomains (l.facebook.com).
const SEARCH =
  'google:google.*,com.google.android.googlequicksearchbox bing:bing.com yahoo:yahoo.* duckduckgo:duckduckgo.com ' +
  'ecosia:ecosia.org baidu:baidu.com yandex:yandex.*,ya.ru startpage:startpage.com qwant:qwant.com ' +
  'brave:search.brave.com naver:naver.com seznam:seznam.cz';
const SOCIAL =
  'facebook:facebook.com,fb.com,fb.me instagram:instagram.com linkedin:linkedin.com,lnkd.in ' +
  'twitter:t.co,x.com,twitter.com youtube:youtube.com,youtu.be pinterest:pinterest.* tiktok:tiktok.com ' +
  'reddit:reddit.com threads:threads.net,threads.com snapchat:snapchat.com';

/** AI assistants: the source is the host itself, the channel `ai_assistant`. */
export const AI_HOSTS = ['chatgpt.com', 'chat.openai.com', 'perplexity.ai', 'gemini.google.com', 'copilot.microsoft.com', 'claude.ai'];
const WEBMAIL = ['mail.google.com', 'outlook.live.com', 'outlook.office.com', 'outlook.office365.com', 'mail.yahoo.com', 'com.google.android.gm'];

const parse = (table: string, medium: string): [RegExp, string, string][] =>
  table.split(' ').map((entry) => {
    const [name, hosts] = entry.split(':') as [string, string];
    const alternatives = hosts.split(',').map((host) =>
      host.replace(/\./g, '\\.').replace(/\\\.\*$/, '\\.(?:com?\\.)?[a-z]{2,3}'),
    );
    return [new RegExp('(?:^|\\.)(?:' + alternatives.join('|') + ')$'), name, medium];
  });

const NAMED = parse(SEARCH, 'organic').concat(parse(SOCIAL, 'referral'));

/** Strips a leading `www.` and lowercases. */
export const bareHost = (host: string): string => host.toLowerCase().replace(/^www\./, '');

/** Source and medium for a referrer host from another site (already bare). */
export function classifyHost(host: string): [source: string, medium: string] {
  if (AI_HOSTS.includes(host)) return [host, 'referral'];
  if (WEBMAIL.includes(host)) return [host, 'email'];
  for (const [pattern, name, medium] of NAMED) if (pattern.test(host)) return [name, medium];
  return [host, 'referral'];
}
