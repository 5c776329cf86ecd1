import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // An SPA: every path is answered by index.html and routed in the browser, so the build can
    // be dropped on any static host (see README, Self-hosting).
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', precompress: true }),
    typescript: {
      config(tsconfig) {
        // Type-check the Node side (relay, app server, tests, benchmarks) with the same settings.
        tsconfig.include.push('../signaling/**/*.ts', '../server/**/*.ts', '../bench/**/*.ts', '../playwright.config.ts', '../vitest.config.ts');
      },
    },
  },
};

export default config;
