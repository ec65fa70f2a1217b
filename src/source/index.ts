export { detectSource } from './detectSource.js';
export { getChannel } from './getChannel.js';
export type { Channel, DetectInput, Pattern, Rule, Source } from './types.js';
