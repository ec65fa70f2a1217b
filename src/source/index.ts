export { detectSource } from './detectSource';
export { getChannel } from './getChannel';
export { attribute, ATTRIBUTION_DAYS, SESSION_TIMEOUT } from './attribute';
export type { AttributionOptions, Visit } from './attribute';
export type { Channel, DetectInput, Pattern, Rule, Source } from './types';
