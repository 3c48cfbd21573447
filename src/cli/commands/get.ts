import { defineCommand } from '../command.js';
import { GET_OPTIONS, GET_POSITIONALS } from './get-options.js';

export const getCommand = defineCommand({
  name: 'get',
  describe: 'download URLs and URL lists (the default command)',
  isDefault: true,
  positionals: GET_POSITIONALS,
  options: GET_OPTIONS,
  examples: [
    ['$0 https://example.com/a.iso https://example.com/b.iso -d out', 'two files into out/'],
    ['$0 -i list.txt -j 32 -c SHA256SUMS --manifest out/SHA256SUMS -d out', 'a list, checked and recorded'],
    ['cat urls.txt | $0 - --json | jq -c .results[]', 'URLs from stdin, results as JSON'],
  ],
});
