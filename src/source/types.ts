/**
 * Channel ids: GA4's default channel groups in snake_case, plus `ai_assistant`.
 * See https://support.google.com/analytics/answer/9756891
 */
export type Channel =
  | 'direct'
  | 'cross_network'
  | 'paid_shopping'
  | 'paid_search'
  | 'paid_social'
  | 'paid_video'
  | 'display'
  | 'paid_other'
  | 'ai_assistant'
  | 'organic_shopping'
  | 'organic_social'
  | 'organic_video'
  | 'organic_search'
  | 'referral'
  | 'email'
  | 'affiliates'
  | 'audio'
  | 'sms'
  | 'mobile_push'
  | 'unassigned';

/** Where a visit came from. Field names and values are a contract shared with pool servers and reports. */
export interface Source {
  channel: Channel;
  /** Lowercase: `google`, `facebook`, `example.com`, `(direct)`, or the `utm_source` as given (lowercased). */
  source: string;
  /** Lowercase: `cpc`, `organic`, `referral`, `email`, `(none)`, `(not set)`, or the `utm_medium`. */
  medium: string;
  campaign?: string;
  term?: string;
  content?: string;
  /** Every click id present in the landing URL, e.g. `{ gclid: "abc" }`. */
  clickIds: Record<string, string>;
  /** The referrer URL; `""` when there is none, it is not a URL, or it is the same site. */
  referrer: string;
  /** The landing page URL; `""` when it is not a URL. */
  landingPage: string;
  /** Name of the first custom rule that matched. */
  pool?: string;
}

/**
 * A condition value. A string is a case-insensitive wildcard pattern matched against the whole value (`*` matches
 * anything); a string that starts with `~` is a case-insensitive regular expression source (`"~^/spoed(/|$)"`), so
 * that rules stay plain JSON for script-tag and GTM users. The npm API also accepts a RegExp.
 */
export type Pattern = string | RegExp;

/**
 * A custom rule. All conditions given must hold; the first rule that matches names the visit's `pool`.
 * `params` tests URL parameters: `true` = present, `false` = absent, a pattern = present with a matching value.
 */
export interface Rule {
  pool: string;
  params?: Record<string, Pattern | boolean>;
  /** Referrer host, without a leading `www.`. */
  referrer?: Pattern;
  /** Landing page path (`/contact`). */
  path?: Pattern;
  channel?: Pattern;
  source?: Pattern;
  medium?: Pattern;
  campaign?: Pattern;
}

export interface DetectInput {
  url: string;
  referrer?: string;
  rules?: Rule[];
}
