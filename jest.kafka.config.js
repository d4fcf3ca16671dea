// The kafka tier: real Apache Kafka (KRaft) + Kafka Connect + Debezium's PostgreSQL connector,
// started from Maven Central jars (test-support/kafka-tier/fetch-artifacts.sh) with the machine's
// Java 17+. Not part of `npm test`; run it with
//   node --experimental-vm-modules node_modules/jest/bin/jest.js -c jest.kafka.config.js
// See docs/kafka-debezium.md.
const transform = { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] };

/** @type {import('jest').Config} */
export default {
  displayName: 'kafka',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  transform,
  testMatch: ['<rootDir>/**/*.kafka-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.strangler/'],
  // `.strangler/` holds `npm start`'s database; its `*.snap` files are PostgreSQL's, not jest's.
  modulePathIgnorePatterns: ['<rootDir>/.strangler/'],
  testTimeout: 240000,
  // one JVM pair per suite is plenty for a small machine
  maxWorkers: 1,
};
