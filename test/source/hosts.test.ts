// The site lists on their own: the name a host is listed under, and what a referrer host says about a visit.
import { expect, test } from 'vitest';
import { bareHost, classifyHost, has, nameOf } from '../../src/source/hosts';

test('nameOf: aliases, and the domain without subdomains or a country suffix', () => {
  expect(['www.google.co.uk', 'nl.search.yahoo.com', 'pinterest.com.au', 't.co', 'x.com', 'localhost'].map(nameOf)).toEqual(['google', 'yahoo', 'pinterest', 'twitter', 'twitter', 'localhost']);
});

test('bareHost lowercases and drops www.; has matches whole names only', () => {
  expect(bareHost('WWW.Example.COM')).toBe('example.com');
  expect(has('google bing', 'bing')).toBe(true);
  expect(has('google bing', 'bin')).toBe(false);
  expect(has('google bing', 'google bing')).toBe(false);
});

test('classifyHost: search engines by name, social as referral, webmail as email, AI assistants and the rest by host', () => {
  expect(classifyHost('google.de')).toEqual(['google', 'organic']);
  expect(classifyHost('l.facebook.com')).toEqual(['facebook', 'referral']);
  expect(classifyHost('youtube.com')).toEqual(['youtube', 'referral']);
  expect(classifyHost('mail.google.com')).toEqual(['mail.google.com', 'email']);
  expect(classifyHost('chatgpt.com')).toEqual(['chatgpt.com', 'referral']);
  expect(classifyHost('partner.example')).toEqual(['partner.example', 'referral']);
});
