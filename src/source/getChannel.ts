import { AI_HOSTS } from './hosts.js';
import type { Channel } from './types.js';

// Source lists of GA4's default channel group, reduced to the main sites so the module stays in budget.
// https://support.google.com/analytics/answer/9756891 (the lists are linked from there).
const SEARCH = /^(google|bing|yahoo|duckduckgo|ecosia|baidu|yandex|startpage|qwant|brave|naver|seznam|ask|aol|msn)$/;
const SOCIAL =
  /^(facebook|fb|instagram|linkedin|lnkd|twitter|x|t|pinterest|tiktok|reddit|threads|snapchat|whatsapp|messenger|quora|tumblr|vk|discord)$/;
const VIDEO = /^(youtube|youtu|vimeo|twitch|dailymotion|wistia)$/;
const SHOPPING = /^(amazon|ebay|etsy|shopify|walmart|aliexpress)$/;
const AI = /^(chatgpt|perplexity|claude|gemini|copilot)$/;
const EMAIL = /^(email|e-mail|e_mail|e mail)$/;

/** GA4's paid-medium test. */
const PAID = /^(.*cp.*|ppc|retargeting|paid.*)$/;

/**
 * The name a source is listed under: `google` for `google`, `www.google.co.uk` or `m.google.com`;
 * `youtube` for `m.youtube.com`.
 */
const baseName = (source: string): string => {
  const labels = source.split('.');
  const n = labels.length;
  return n < 2 ? source : labels[n - (n > 2 && /^(com?|org|net|ac|gov|ne|or)$/.test(labels[n - 2]!) ? 3 : 2)]!;
};

/**
 * The channel of a visit from its (lowercase) source and medium and its campaign, evaluated in the order of GA4's
 * default channel group definitions, with `ai_assistant` for AI assistants that send no paid medium.
 */
export function getChannel(source: string, medium: string, campaign = ''): Channel {
  campaign = campaign.toLowerCase();
  const name = baseName(source);
  const paid = PAID.test(medium);
  const shop = SHOPPING.test(name) || /^(.*(([^a-df-z]|^)shop|shopping).*)$/.test(campaign);
  const search = SEARCH.test(name);
  const social = SOCIAL.test(name);
  const video = VIDEO.test(name);
  if (source == '(direct)' && (medium == '(none)' || medium == '(not set)')) return 'direct';
  if (campaign.includes('cross-network')) return 'cross_network';
  if (paid && shop) return 'paid_shopping';
  if (paid && search) return 'paid_search';
  if (paid && social) return 'paid_social';
  if (paid && video) return 'paid_video';
  if (/^(display|banner|expandable|interstitial|cpm)$/.test(medium)) return 'display';
  if (paid) return 'paid_other';
  if ((AI_HOSTS.includes(source) || AI.test(source)) && /^(referral|\(not set\)|\(none\))$/.test(medium)) {
    return 'ai_assistant';
  }
  // Webmail referrers (mail.google.com) are email, not the search engine their domain belongs to.
  if (source.includes('.') && EMAIL.test(medium)) return 'email';
  if (shop) return 'organic_shopping';
  if (social || /^(social|social-network|social-media|sm|social network|social media)$/.test(medium)) {
    return 'organic_social';
  }
  if (video || medium.includes('video')) return 'organic_video';
  if (search || medium == 'organic') return 'organic_search';
  if (/^(referral|app|link)$/.test(medium)) return 'referral';
  if (EMAIL.test(source) || EMAIL.test(medium)) return 'email';
  if (medium == 'affiliate') return 'affiliates';
  if (medium == 'audio') return 'audio';
  if (source == 'sms' || medium == 'sms') return 'sms';
  if (/push$|mobile|notification/.test(medium) || source == 'firebase') return 'mobile_push';
  return 'unassigned';
}
