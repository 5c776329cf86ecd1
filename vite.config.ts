import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { relayDevPlugin } from './server/vite-relay-plugin';

export default defineConfig({
  plugins: [sveltekit(), relayDevPlugin()],
});
