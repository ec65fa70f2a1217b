export { init } from './init/init.js';
export type { Config, ConsentState, Events, Instance, SwapEvent } from './init/init.js';
export * from './source/index.js';
export * from './swap/index.js';
