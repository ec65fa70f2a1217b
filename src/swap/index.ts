export { swapNumbers } from './swapNumbers.js';
export type { SwapHandle, SwapOptions } from './swapNumbers.js';
