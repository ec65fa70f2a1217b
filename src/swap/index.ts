export { swapNumbers } from './swapNumbers';
export type { SwapHandle, SwapOptions } from './swapNumbers';
