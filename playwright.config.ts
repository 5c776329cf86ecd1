import { defineConfig } from '@playwright/test';

/** Port the app server (static app + relay) listens on during the browser tests. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'tests/e2e',
  // WebRTC in several browser contexts already loads both cores: one test file at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download cannot work here (DESIGN.md §2).
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        // Three fake cameras and microphones, so a device switch can be tested (the second
        // camera is Chromium's fake depth camera, 16-bit grey, whose frames WebRTC does not send:
        // media.spec.ts switches to the third).
        '--use-fake-device-for-media-stream=device-count=3',
        '--use-fake-ui-for-media-stream',
        // getDisplayMedia picks the (fake) screen without a picker.
        '--auto-select-desktop-capture-source=Entire screen',
        '--allow-loopback-in-peer-connection',
        '--autoplay-policy=no-user-gesture-required',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // The same server as `npm start`; test:e2e has just built the app.
    command: `node_modules/.bin/tsx server/start.ts --port ${E2E_PORT}`,
    url: `http://127.0.0.1:${E2E_PORT}/healthz`,
    reuseExistingServer: false,
    stdout: 'pipe',
    timeout: 120_000,
  },
});
