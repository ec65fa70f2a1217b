export { init } from './init/init';
export type { Config, ConsentState, Events, Instance, SwapEvent } from './init/init';
export * from './source/index';
export * from './swap/index';
