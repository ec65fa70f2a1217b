// dist/callswap-debug.js: the debug badge for the script-tag build, attached to window.callswap.
import { showDebug } from './showDebug.js';

const page = window as unknown as { callswap?: { showDebug?: typeof showDebug } };
if (page.callswap) page.callswap.showDebug = showDebug;
