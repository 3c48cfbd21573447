export { createServer, type RunningServer, type ServeOptions } from './server.js';
export { parseSize, synthBytes } from './synth.js';
