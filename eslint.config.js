// Lint, including the layering rule of docs/architecture.md: folders say where code runs, and
// code may only import from layers that run everywhere it does.
//   common  <-  node  <-  electron-main;   preload -> common;   src-renderer -> common only.
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

const layer = (name) => `./src-main/${name}`;
const forbid = (target, from, message) => ({ target, from, message });

const NODE_ONLY_MODULES = ['electron', '@tensorflow/*', 'sharp', 'node:*', 'fs', 'path', 'os', 'child_process', 'ws'];

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'coverage/', 'test-results/', 'src-renderer/dist/'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.vue', '.js', '.mjs', '.json'] })],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            forbid(layer('common'), [layer('node'), layer('electron-main'), layer('preload'), './src-renderer'], 'common/ runs everywhere: it imports nothing outside common/.'),
            forbid(layer('node'), [layer('electron-main'), layer('preload'), './src-renderer'], 'node/ is the engine: it never imports Electron or UI code.'),
            forbid(layer('electron-main'), [layer('preload'), './src-renderer'], 'electron-main/ talks to the UI through the contract only.'),
            forbid(layer('preload'), [layer('node'), layer('electron-main'), './src-renderer'], 'preload/ imports common/ and electron only.'),
            forbid('./src-renderer', [layer('node'), layer('electron-main'), layer('preload')], 'The renderer imports only src-main/common (types and schemas).'),
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/common/**', 'src-renderer/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: NODE_ONLY_MODULES, message: 'Runs in a browser too: no Node, Electron or engine modules here.' }] }],
    },
  },
  {
    files: ['src-main/node/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The engine runs in plain Node too: never import electron here.' }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
