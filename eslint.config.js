// Lint rules: type-aware checks and the one-way import direction from ARCHITECTURE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/** Modules a folder must not import (ARCHITECTURE.md, "Modules and their direction"). */
const forbidden = {
  api: ['store', 'client', 'controller', 'controllers', 'kubelet', 'server', 'cli', 'images'],
  store: ['client', 'controller', 'controllers', 'kubelet', 'server', 'cli', 'images'],
  client: ['store', 'controller', 'controllers', 'kubelet', 'server', 'cli', 'images'],
  controller: ['store', 'controllers', 'kubelet', 'server', 'cli', 'images'],
  controllers: ['store', 'kubelet', 'server', 'cli', 'images'],
  kubelet: ['store', 'controllers', 'server', 'cli'],
  server: ['cli'],
  metadata: ['store', 'client', 'controller', 'controllers', 'kubelet', 'server', 'cli', 'images'],
  // Images (registry client, store, rootfs): a library the kubelet and the CLI use; it knows nothing of Floe's objects.
  images: ['store', 'client', 'controller', 'controllers', 'kubelet', 'server', 'cli', 'metadata', 'serving'],
};

export default tseslint.config(
  // web/ is its own package (the dashboard), type-checked by its own tsconfig (web/tsconfig.json) when it builds.
  { ignores: ['dist/**', 'node_modules/**', 'tools/**', '.venv/**', 'eslint.config.js', 'web/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // node:test's describe/test return promises the runner itself awaits.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    // One route table (src/server/front-door.ts): no other module starts an HTTP server, so no route can skip
    // authentication, the Host/Origin checks or the body-type check. Tests start their own fake upstreams.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/server/front-door.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        ...[
          'ImportDeclaration[importKind!="type"][source.value=/^(node:)?https?$/] > ImportSpecifier[imported.name="createServer"]',
          'ImportDeclaration[importKind!="type"][source.value=/^(node:)?https?$/] > ImportSpecifier[imported.name="Server"][importKind!="type"]',
          'MemberExpression[object.name=/^(http|https)$/][property.name=/^(createServer|Server)$/]',
        ].map((selector) => ({
          selector,
          message: 'HTTP routes are served only through the front door (src/server/front-door.ts): return them from a Capability instead of starting a server',
        })),
      ],
    },
  },
  ...Object.entries(forbidden).map(([from, targets]) => ({
    files: [`src/${from}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: targets.map((t) => ({ group: [`**/${t}/**`, `../${t}`, `../../${t}`], message: `src/${from} must not import src/${t} (see ARCHITECTURE.md)` })),
      }],
    },
  })),
);
