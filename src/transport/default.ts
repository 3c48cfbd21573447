/** The transport a run makes when its caller gives none: undici's Agent (or its proxy agent), see undici/agent.ts. */
export { createTransport } from './undici/agent.js';
