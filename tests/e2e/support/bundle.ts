import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const cache = new Map<string, Promise<string>>();

/** Bundles a page-side fixture (tests/e2e/fixtures) into one script for `page.addScriptTag`. */
export function bundleFixture(name: string): Promise<string> {
  let bundled = cache.get(name);
  if (!bundled) {
    const entry = fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url));
    bundled = build({ entryPoints: [entry], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' }).then(
      (result) => result.outputFiles[0].text,
    );
    cache.set(name, bundled);
  }
  return bundled;
}
