import { AI, SEARCH, SHOPPING, SOCIAL, VIDEO, has, nameOf } from './hosts.js';
import type { Channel } from './types.js';

/** GA4's paid-medium test. */
const PAID = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const EMAIL = /^e[-_ ]?mail$/;

/**
 * The channel of a visit from its (lowercase) source and medium and its campaign, evaluated in the order of GA4's
 * default channel group definitions, with `ai_assistant` for AI assistants that send no paid medium.
 */
export function getChannel(source: string, medium: string, campaign = ''): Channel {
  campaign = campaign.toLowerCase();
  const name = nameOf(source);
  const paid = PAID.test(medium);
  const shop = has(SHOPPING, name) || /^(.*(([^a-df-z]|^)shop|shopping).*)$/.test(campaign);
  const search = has(SEARCH, name);
  const social = has(SOCIAL, name);
  const video = has(VIDEO, name);
  if (source == '(direct)' && (medium == '(none)' || medium == '(not set)')) return 'direct';
  if (campaign.includes('cross-network')) return 'cross_network';
  if (paid && shop) return 'paid_shopping';
  if (paid && search) return 'paid_search';
  if (paid && social) return 'paid_social';
  if (paid && video) return 'paid_video';
  if (/^(display|banner|expandable|interstitial|cpm)$/.test(medium)) return 'display';
  if (paid) return 'paid_other';
  if (has(AI, source) && /^(referral|\(not set\)|\(none\))$/.test(medium)) {
    return 'ai_assistant';
  }
  // Webmail referrers (mail.google.com) are email, not the search engine their domain belongs to.
  if (source.includes('.') && EMAIL.test(medium)) return 'email';
  if (shop) return 'organic_shopping';
  if (social || /^(social([- ](network|media))?|sm)$/.test(medium)) {
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
