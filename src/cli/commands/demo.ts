import { defineCommand } from '../command.js';

export const demoCommand = defineCommand({
  name: 'demo',
  describe: 'start `dlpool serve` and download samples/demo.txt into ./downloads',
  positionals: [],
  options: [],
  examples: [],
});
