// @ts-check
import tseslint from 'typescript-eslint';

/**
 * Import direction (DESIGN.md, "Layout"): arrows point down the table only.
 * Each entry lists the folders a folder must NOT import.
 */
const forbidden = {
  crypto: ['ledger', 'evolution', 'projections', 'replication', 'cli'],
  ledger: ['evolution', 'projections', 'replication', 'cli'],
  evolution: ['projections', 'replication', 'cli'],
  projections: ['replication', 'cli'],
  replication: ['cli'],
};

const layering = Object.entries(forbidden).map(([folder, banned]) => ({
  files: [`${folder}/**/*.ts`],
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: banned.map((b) => ({
          group: [`**/${b}/*`, `../${b}/*`, `../../${b}/*`],
          message: `${folder}/ may not import ${b}/ (see DESIGN.md, Layout).`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**', 'scratch/**', 'eslint.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use the seeded PRNG (evolution/random.ts).',
        },
      ],
    },
  },
  {
    // Evolution decides; decisions never read the clock.
    files: ['evolution/**/*.ts', 'projections/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use the seeded PRNG (evolution/random.ts).',
        },
        { object: 'Date', property: 'now', message: 'Wall-clock time never drives a decision.' },
      ],
    },
  },
  ...layering,
  {
    files: ['**/*.test.ts', 'property-tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
