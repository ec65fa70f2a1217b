export { init } from './init/init.js';
export type { Config, ConsentState, Events, Instance, Status, SwapEvent } from './init/init.js';
export type { LeaseEvents } from './lease/createLeaseClient.js';
export type { FailureCode } from './lease/request.js';
export * from './source/index.js';
export { attribute, ATTRIBUTION_DAYS, SESSION_TIMEOUT } from './source/attribute.js';
export type { AttributionOptions, Visit } from './source/attribute.js';
export * from './swap/index.js';
