// One jest run, two projects: fast unit specs beside the code, and e2e specs that need a real
// PostgreSQL (each suite starts one through test-support/database.ts).
const transform = { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] };
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  // `.strangler/` holds `npm start`'s database; its `*.snap` files are PostgreSQL's, not jest's.
  modulePathIgnorePatterns: ['<rootDir>/.strangler/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  transform,
};

/** @type {import('jest').Config} */
export default {
  // Global, not per project: jest reads testTimeout only at the top level.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.strangler/'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.strangler/'],
    },
  ],
};
