export { detectSource } from './detectSource.js';
export { getChannel } from './getChannel.js';
export { attribute, ATTRIBUTION_DAYS, SESSION_TIMEOUT } from './attribute.js';
export type { AttributionOptions, Visit } from './attribute.js';
export type { Channel, DetectInput, Pattern, Rule, Source } from './types.js';
