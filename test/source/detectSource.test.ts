import { describe, expect, test, vi } from 'vitest';
import { detectSource } from '../../src/source/detectSource';
import { getChannel } from '../../src/source/getChannel';
import type { Rule } from '../../src/source/types';

const SITE = 'https://www.example.com/landing';

/** [what, url query, referrer, channel, source, medium] */
const CASES: [string, string, string, string, string, string][] = [
  // UTM first
  ['utm google cpc', '?utm_source=google&utm_medium=cpc', '', 'paid_search', 'google', 'cpc'],
  ['utm is lowercased', '?utm_source=Google&utm_medium=CPC', '', 'paid_search', 'google', 'cpc'],
  ['utm values are trimmed', '?utm_source=%20bing%20&utm_medium=%20ppc', '', 'paid_search', 'bing', 'ppc'],
  ['utm source only', '?utm_source=newsletter', '', 'unassigned', 'newsletter', '(not set)'],
  ['utm medium only', '?utm_medium=email', '', 'email', '(not set)', 'email'],
  ['utm beats gclid', '?utm_source=facebook&utm_medium=paid_social&gclid=x', '', 'paid_social', 'facebook', 'paid_social'],
  ['utm beats referrer', '?utm_source=partner&utm_medium=referral', 'https://www.google.com/', 'referral', 'partner', 'referral'],
  ['empty utm counts as absent', '?utm_source=&utm_medium=', 'https://www.bing.com/', 'organic_search', 'bing', 'organic'],
  ['repeated utm takes the first', '?utm_source=google&utm_source=bing&utm_medium=cpc', '', 'paid_search', 'google', 'cpc'],
  ['utm retargeting', '?utm_source=criteo&utm_medium=retargeting', '', 'paid_other', 'criteo', 'retargeting'],
  ['utm paid anything', '?utm_source=adroll&utm_medium=paid-display', '', 'paid_other', 'adroll', 'paid-display'],
  ['medium containing cp', '?utm_source=adnet&utm_medium=mycpa', '', 'paid_other', 'adnet', 'mycpa'],
  // click ids
  ['gclid', '?gclid=abc', '', 'paid_search', 'google', 'cpc'],
  ['gbraid', '?gbraid=abc', '', 'paid_search', 'google', 'cpc'],
  ['wbraid', '?wbraid=abc', '', 'paid_search', 'google', 'cpc'],
  ['dclid', '?dclid=abc', '', 'display', 'dfa', 'cpm'],
  ['msclkid', '?msclkid=abc', '', 'paid_search', 'bing', 'cpc'],
  ['ttclid', '?ttclid=abc', '', 'paid_social', 'tiktok', 'cpc'],
  ['li_fat_id', '?li_fat_id=abc', '', 'paid_social', 'linkedin', 'cpc'],
  ['twclid', '?twclid=abc', '', 'paid_social', 'twitter', 'cpc'],
  ['fbclid is not paid', '?fbclid=abc', '', 'organic_social', 'facebook', 'referral'],
  ['gclid beats fbclid', '?fbclid=a&gclid=b', '', 'paid_search', 'google', 'cpc'],
  ['msclkid beats ttclid', '?ttclid=a&msclkid=b', '', 'paid_search', 'bing', 'cpc'],
  ['click id names are case-sensitive', '?GCLID=abc', '', 'direct', '(direct)', '(none)'],
  ['click id beats referrer', '?gclid=abc', 'https://www.facebook.com/', 'paid_search', 'google', 'cpc'],
  ['empty click id is absent', '?gclid=', '', 'direct', '(direct)', '(none)'],
  // search engines
  ['google.com', '', 'https://www.google.com/', 'organic_search', 'google', 'organic'],
  ['google.nl', '', 'https://www.google.nl/', 'organic_search', 'google', 'organic'],
  ['google.co.uk', '', 'https://www.google.co.uk/', 'organic_search', 'google', 'organic'],
  ['google.com.au', '', 'https://www.google.com.au/', 'organic_search', 'google', 'organic'],
  ['google app', '', 'android-app://com.google.android.googlequicksearchbox/', 'organic_search', 'google', 'organic'],
  ['bing', '', 'https://www.bing.com/', 'organic_search', 'bing', 'organic'],
  ['yahoo', '', 'https://search.yahoo.com/', 'organic_search', 'yahoo', 'organic'],
  ['yahoo nl', '', 'https://nl.search.yahoo.com/', 'organic_search', 'yahoo', 'organic'],
  ['duckduckgo', '', 'https://duckduckgo.com/', 'organic_search', 'duckduckgo', 'organic'],
  ['ecosia', '', 'https://www.ecosia.org/', 'organic_search', 'ecosia', 'organic'],
  ['baidu', '', 'https://www.baidu.com/', 'organic_search', 'baidu', 'organic'],
  ['yandex.ru', '', 'https://yandex.ru/', 'organic_search', 'yandex', 'organic'],
  ['yandex.com.tr', '', 'https://yandex.com.tr/', 'organic_search', 'yandex', 'organic'],
  ['startpage', '', 'https://www.startpage.com/', 'organic_search', 'startpage', 'organic'],
  ['qwant', '', 'https://www.qwant.com/', 'organic_search', 'qwant', 'organic'],
  ['brave search', '', 'https://search.brave.com/', 'organic_search', 'brave', 'organic'],
  ['naver', '', 'https://search.naver.com/', 'organic_search', 'naver', 'organic'],
  ['seznam', '', 'https://search.seznam.cz/', 'organic_search', 'seznam', 'organic'],
  // social networks
  ['facebook', '', 'https://www.facebook.com/', 'organic_social', 'facebook', 'referral'],
  ['l.facebook.com', '', 'https://l.facebook.com/', 'organic_social', 'facebook', 'referral'],
  ['m.facebook.com', '', 'https://m.facebook.com/', 'organic_social', 'facebook', 'referral'],
  ['lm.facebook.com', '', 'https://lm.facebook.com/', 'organic_social', 'facebook', 'referral'],
  ['instagram', '', 'https://l.instagram.com/', 'organic_social', 'instagram', 'referral'],
  ['linkedin', '', 'https://www.linkedin.com/', 'organic_social', 'linkedin', 'referral'],
  ['lnkd.in', '', 'https://lnkd.in/abc', 'organic_social', 'linkedin', 'referral'],
  ['t.co', '', 'https://t.co/xyz', 'organic_social', 'twitter', 'referral'],
  ['x.com', '', 'https://x.com/', 'organic_social', 'twitter', 'referral'],
  ['twitter.com', '', 'https://twitter.com/', 'organic_social', 'twitter', 'referral'],
  ['youtube is video', '', 'https://www.youtube.com/', 'organic_video', 'youtube', 'referral'],
  ['pinterest.com', '', 'https://www.pinterest.com/', 'organic_social', 'pinterest', 'referral'],
  ['pinterest.co.uk', '', 'https://pinterest.co.uk/', 'organic_social', 'pinterest', 'referral'],
  ['pinterest.nl', '', 'https://nl.pinterest.nl/', 'organic_social', 'pinterest', 'referral'],
  ['tiktok', '', 'https://www.tiktok.com/', 'organic_social', 'tiktok', 'referral'],
  ['reddit', '', 'https://old.reddit.com/', 'organic_social', 'reddit', 'referral'],
  ['threads', '', 'https://www.threads.net/', 'organic_social', 'threads', 'referral'],
  ['snapchat', '', 'https://www.snapchat.com/', 'organic_social', 'snapchat', 'referral'],
  // AI assistants
  ['chatgpt referrer', '', 'https://chatgpt.com/', 'ai_assistant', 'chatgpt.com', 'referral'],
  ['chat.openai.com', '', 'https://chat.openai.com/', 'ai_assistant', 'chat.openai.com', 'referral'],
  ['perplexity', '', 'https://www.perplexity.ai/', 'ai_assistant', 'perplexity.ai', 'referral'],
  ['gemini is not google search', '', 'https://gemini.google.com/', 'ai_assistant', 'gemini.google.com', 'referral'],
  ['copilot', '', 'https://copilot.microsoft.com/', 'ai_assistant', 'copilot.microsoft.com', 'referral'],
  ['claude', '', 'https://claude.ai/', 'ai_assistant', 'claude.ai', 'referral'],
  ['chatgpt utm_source', '?utm_source=chatgpt.com', '', 'ai_assistant', 'chatgpt.com', '(not set)'],
  ['chatgpt utm with referral medium', '?utm_source=chatgpt.com&utm_medium=referral', '', 'ai_assistant', 'chatgpt.com', 'referral'],
  ['ai source with paid medium is paid', '?utm_source=chatgpt.com&utm_medium=cpc', '', 'paid_other', 'chatgpt.com', 'cpc'],
  // webmail
  ['gmail', '', 'https://mail.google.com/', 'email', 'mail.google.com', 'email'],
  ['outlook live', '', 'https://outlook.live.com/', 'email', 'outlook.live.com', 'email'],
  ['outlook office', '', 'https://outlook.office.com/', 'email', 'outlook.office.com', 'email'],
  ['outlook office365', '', 'https://outlook.office365.com/', 'email', 'outlook.office365.com', 'email'],
  ['yahoo mail', '', 'https://mail.yahoo.com/', 'email', 'mail.yahoo.com', 'email'],
  // other referrers
  ['other host', '', 'https://www.partner.org/page', 'referral', 'partner.org', 'referral'],
  ['lookalike host is not google', '', 'https://google.evil.com/', 'referral', 'google.evil.com', 'referral'],
  ['mygoogle is not google', '', 'https://mygoogle.com/', 'referral', 'mygoogle.com', 'referral'],
  ['t.me is telegram, not twitter', '', 'https://t.me/channel', 'organic_social', 't.me', 'referral'],
  ['same site is direct', '', 'https://www.example.com/other', 'direct', '(direct)', '(none)'],
  ['same site without www is direct', '', 'https://example.com/other', 'direct', '(direct)', '(none)'],
  ['subdomain is another host', '', 'https://shop.example.com/', 'referral', 'shop.example.com', 'referral'],
  ['uppercase referrer host', '', 'https://WWW.BING.COM/', 'organic_search', 'bing', 'organic'],
  // direct and bad input
  ['direct', '', '', 'direct', '(direct)', '(none)'],
  ['javascript: referrer is absent', '', 'javascript:alert(1)', 'direct', '(direct)', '(none)'],
  ['not a url referrer', '', 'not a url', 'direct', '(direct)', '(none)'],
  ['1 MB referrer is absent', '', 'https://a.com/' + 'x'.repeat(1 << 20), 'direct', '(direct)', '(none)'],
  ['odd unicode', '?utm_source=%F0%9F%93%9E&utm_medium=cpc', '', 'paid_other', '📞', 'cpc'],
  ['lone surrogate escape', '?utm_source=%ED%A0%80x', '', 'unassigned', '\uFFFD\uFFFD\uFFFDx', '(not set)'],
];

describe('detectSource', () => {
  test.each(CASES)('%s', (_, query, referrer, channel, source, medium) => {
    const result = detectSource({ url: SITE + query, referrer });
    expect([result.channel, result.source, result.medium]).toEqual([channel, source, medium]);
  });

  test('returns every field of the contract', () => {
    const url = SITE + '?utm_source=google&utm_medium=cpc&utm_campaign=Spring&utm_term=loodgieter&utm_content=ad1&gclid=abc&fbclid=def';
    expect(detectSource({ url, referrer: 'https://www.google.com/' })).toEqual({
      channel: 'paid_search',
      source: 'google',
      medium: 'cpc',
      campaign: 'Spring',
      term: 'loodgieter',
      content: 'ad1',
      clickIds: { gclid: 'abc', fbclid: 'def' },
      referrer: 'https://www.google.com/',
      landingPage: url,
    });
  });

  test('a same-site referrer is reported as none', () => {
    expect(detectSource({ url: SITE, referrer: 'https://example.com/' }).referrer).toBe('');
  });

  test('values are cut to 256 characters', () => {
    const result = detectSource({ url: `${SITE}?utm_source=a&utm_campaign=${'c'.repeat(1000)}&gclid=${'g'.repeat(1000)}` });
    expect(result.campaign).toHaveLength(256);
    expect(result.clickIds.gclid).toHaveLength(256);
  });

  test.each([[''], ['not a url'], ['javascript:alert(1)'], ['https://' + 'a'.repeat(1 << 20)], [undefined as unknown as string], [42 as unknown as string]])(
    'a malformed url (%#) never throws and counts as absent',
    (url) => {
      expect(detectSource({ url, referrer: 'also bad' })).toEqual({
        channel: 'direct',
        source: '(direct)',
        medium: '(none)',
        clickIds: {},
        referrer: '',
        landingPage: '',
      });
    },
  );
});

describe('getChannel (GA4 default channel group edge cases)', () => {
  test.each([
    ['(direct)', '(not set)', '', 'direct'],
    ['google', 'cpc', 'my cross-network campaign', 'cross_network'],
    ['amazon', 'cpc', '', 'paid_shopping'],
    ['google', 'cpc', 'spring shopping', 'paid_shopping'],
    ['google', 'cpc', 'workshop', 'paid_search'],
    ['facebook', 'paid', '', 'paid_social'],
    ['youtube', 'cpv', '', 'paid_video'],
    ['dv360', 'banner', '', 'display'],
    ['dv360', 'interstitial', '', 'display'],
    ['newsletter', 'ppc', '', 'paid_other'],
    ['etsy', 'referral', '', 'organic_shopping'],
    ['mastodon', 'social', '', 'organic_social'],
    ['blog', 'social-media', '', 'organic_social'],
    ['vimeo', 'referral', '', 'organic_video'],
    ['podcast', 'video-pre-roll', '', 'organic_video'],
    ['anything', 'organic', '', 'organic_search'],
    ['partner', 'link', '', 'referral'],
    ['app-store', 'app', '', 'referral'],
    ['e-mail', 'whatever', '', 'email'],
    ['crm', 'e_mail', '', 'email'],
    ['network', 'affiliate', '', 'affiliates'],
    ['spotify', 'audio', '', 'audio'],
    ['sms', 'text', '', 'sms'],
    ['app', 'sms', '', 'sms'],
    ['app', 'web-push', '', 'mobile_push'],
    ['app', 'mobile', '', 'mobile_push'],
    ['firebase', 'whatever', '', 'mobile_push'],
    ['something', 'else', '', 'unassigned'],
  ])('%s / %s / %s → %s', (source, medium, campaign, channel) => {
    expect(getChannel(source, medium, campaign)).toBe(channel);
  });
});

describe('custom rules', () => {
  const rules: Rule[] = [
    { pool: 'emergency', path: '/spoed*' },
    { pool: 'brand', channel: 'paid_search', campaign: '~^brand' },
    { pool: 'partner', params: { ref: 'partner-*' } },
    { pool: 'facebook-organic', source: 'facebook', params: { gclid: false } },
    { pool: 'has-coupon', params: { coupon: true } },
    { pool: 'from-partner-site', referrer: '*.partner.org' },
    { pool: 'bing', medium: 'cpc', source: /^bing$/ },
  ];
  test.each([
    ['https://example.com/spoed/lekkage', '', 'emergency'],
    ['https://example.com/?utm_source=google&utm_medium=cpc&utm_campaign=Brand-NL', '', 'brand'],
    ['https://example.com/?utm_source=google&utm_medium=cpc&utm_campaign=generic', '', undefined],
    ['https://example.com/?ref=partner-42', '', 'partner'],
    ['https://example.com/?fbclid=x', '', 'facebook-organic'],
    ['https://example.com/?coupon=', '', 'has-coupon'],
    ['https://example.com/', 'https://www.shop.partner.org/x', 'from-partner-site'],
    ['https://example.com/?msclkid=1', '', 'bing'],
    ['https://example.com/', '', undefined],
  ])('%s (referrer %s) → %s', (url, referrer, pool) => {
    expect(detectSource({ url, referrer, rules }).pool).toBe(pool);
  });

  test('the first matching rule wins', () => {
    const result = detectSource({ url: 'https://example.com/spoed?ref=partner-1', rules });
    expect(result.pool).toBe('emergency');
  });

  test.each([
    [[{ path: '/x' }], /rules\[0\]: "pool" must name a pool/],
    [[{ pool: 'a', path: 42 }], /rules\[0\] \("a"\): "path" is not a condition/],
    [[{ pool: 'ok' }, { pool: 'b', medium: '~(' }], /rules\[1\] \("b"\): "medium" .*regular expression/],
    [[{ pool: 'c', colour: 'red' }], /rules\[0\] \("c"\): "colour" is not a condition/],
    [[{ pool: 'd', params: 'x' }], /rules\[0\] \("d"\): "params"/],
    [[{ pool: 'e', params: { ref: 42 } }], /rules\[0\] \("e"\): "params.ref"/],
    [[null], /rules\[0\]: "pool"/],
    ['not an array', /"rules" must be an array/],
  ])('an invalid rule throws an error naming it (%#)', (bad, message) => {
    expect(() => detectSource({ url: SITE, rules: bad as Rule[] })).toThrow(message);
  });
});

describe('custom rules in the script-tag build (warnings instead of errors)', () => {
  test('an invalid rule is skipped with one warning; the valid rules still work', async () => {
    const { warnInsteadOfThrow } = await import('../../src/lib/invalid');
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((message) => void warnings.push(message));
    warnInsteadOfThrow();
    try {
      const rules = [{ pool: 'broken', path: 42 }, { pool: 'emergency', path: '/spoed*' }] as unknown as Rule[];
      expect(detectSource({ url: 'https://example.com/spoed/lekkage', rules }).pool).toBe('emergency');
      expect(warnings).toEqual(['callswap: rules[0] ("broken"): "path" is not a condition with a "*" wildcard, a "~" regular expression or a RegExp']);
    } finally {
      warnInsteadOfThrow(false);
    }
    expect(() => detectSource({ url: SITE, rules: [{ path: 1 }] as never })).toThrow();
  });
});
