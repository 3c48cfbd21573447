import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'node_modules/', 'coverage/', 'downloads/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        Headers: 'readonly',
        Request: 'readonly',
        Response: 'readonly',
        TextDecoder: 'readonly',
        NodeJS: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Architecture rule from STYLE.md: only src/cli/ talks to the terminal or ends the process.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'only src/cli/ may end the process' },
        { object: 'process', property: 'argv', message: 'only src/cli/ reads argv' },
        { object: 'process', property: 'stdout', message: 'only src/cli/ writes to the terminal' },
        { object: 'process', property: 'stderr', message: 'only src/cli/ writes to the terminal' },
        {
          object: 'process',
          property: 'stdin',
          message: 'only src/cli/ reads stdin (options take it as input)',
        },
        {
          object: 'process',
          property: 'env',
          message: 'only src/cli/ reads the environment (options take it)',
        },
      ],
    },
  },
  {
    // The bench harness is a command line of its own: it writes reports and progress to the terminal, but reads
    // its environment and argv and ends the process in one place (bench/lib/main.ts, bench/main.ts), so every
    // knob is parsed and checked in one function per bench. node-floor is a peer with its own argv.
    files: ['bench/**/*.ts'],
    ignores: ['bench/lib/main.ts', 'bench/main.ts', 'bench/node-floor.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'only bench/lib/main.ts ends the process' },
        { object: 'process', property: 'argv', message: 'only bench/main.ts reads argv' },
        {
          object: 'process',
          property: 'env',
          message: "knobs are read in the entry's configure() from the EnvReader; children get Harness.env",
        },
      ],
    },
  },
  {
    // bin/ is CommonJS (bin/package.json): scripts/bundle.mjs says why.
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
