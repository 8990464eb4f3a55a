import { defineConfig } from 'vitest/config';

/**
 * Two kinds of test, kept apart so that CI can run the offline kind a second time ten years ahead (faketime):
 * - offline: recorded logs, the recorded AWS fixtures over the local wire endpoint, pure functions. They pin their
 *   clock to the recording, so they pass on any day; `npm run test:future` proves it.
 * - live (*.live.test.ts): real PostgreSQL servers started by global-setup; their data is written during the test
 *   at the servers' own time, and libfaketime would upset PostgreSQL's timers, so they stay on the real clock.
 */
const shared = {
  // The checks read cluster-wide state (pg_stat_activity): files run one after another on shared servers.
  fileParallelism: false,
  testTimeout: 60_000,
  hookTimeout: 120_000,
  setupFiles: ['test/helpers/load-lexer.ts'],
  env: {
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NO_COLOR: '1',
  },
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'offline', include: ['test/**/*.test.ts'], exclude: ['test/**/*.live.test.ts'] } },
      { test: { ...shared, name: 'live', include: ['test/**/*.live.test.ts'], globalSetup: ['test/helpers/global-setup.ts'] } },
    ],
  },
});
