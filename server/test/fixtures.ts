// Shared by the pool server's tests: a config with two sites, and a visit's source.
import { checkConfig, type PoolConfig } from '../src/config';

export const S = 1000;
export const MAIN = '+442079460018';
export const OTHER = '+442079460555';

export const testConfig = (extra: Partial<PoolConfig> = {}): PoolConfig =>
  checkConfig({
    ttl: 1800,
    heartbeat: 60,
    claim: 120,
    quarantine: 300,
    maxLeasesPerIp: 10,
    attributionWindow: 3600,
    sites: {
      demo: {
        numbers: {
          [MAIN]: { pools: { emergency: ['+442079460201'], paid_search: ['+442079460101', '+442079460102'], default: ['+442079460141'] } },
          [OTHER]: { pools: { default: ['+442079460551'] } },
        },
      },
      other: { numbers: { '+442079460999': { pools: { default: ['+442079460901', '+442079460902'] } } } },
    },
    ...extra,
  });

export const source = (channel: string, extra: Record<string, unknown> = {}) => ({
  channel,
  source: 'google',
  medium: 'cpc',
  campaign: 'spring',
  term: 'plumber',
  clickIds: { gclid: 'abc' },
  referrer: 'https://www.google.com/',
  landingPage: 'https://shop.example/?gclid=abc',
  ...extra,
});

