/**
 * A build-time Rollup plugin for the app benchmarks: records, for every JavaScript file of the
 * client build, which modules it holds and how many bytes each one takes in it (Rollup's own
 * `renderedLength`: the module's code as rendered into the chunk, before Vite minifies it).
 * It changes nothing in the output; the benchmark only reads the JSON it writes, to say which
 * packages the lobby loads before anyone joins a room.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Plugin } from 'vite';

/** File name in the build (e.g. `_app/immutable/chunks/abc.js`) → module id → rendered bytes. */
export type ModuleSizes = Record<string, Record<string, number>>;

/** Only the browser's files: SvelteKit also runs a server build whose chunks the browser never loads. */
const CLIENT_PREFIX = '_app/immutable/';

export function moduleSizesPlugin(outFile: string): Plugin {
  return {
    name: 'bench-module-sizes',
    apply: 'build',
    generateBundle(_options, bundle) {
      // SvelteKit runs more than one Rollup build with this config: keep what earlier ones wrote.
      const sizes: ModuleSizes = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as ModuleSizes) : {};
      for (const output of Object.values(bundle)) {
        if (output.type !== 'chunk' || !output.fileName.startsWith(CLIENT_PREFIX)) continue;
        sizes[output.fileName] = Object.fromEntries(Object.entries(output.modules).map(([id, info]) => [id, info.renderedLength]));
      }
      writeFileSync(outFile, JSON.stringify(sizes));
    },
  };
}

/**
 * What a module id belongs to, in words a reader knows: an npm package (`yjs`, `@sveltejs/kit`),
 * a folder of our code (`src/lib/rooms`), or a generated module.
 */
export function moduleGroup(id: string): string {
  const packageMatch = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(id);
  if (packageMatch) return packageMatch[1];
  const srcMatch = /\/src\/(.*)$/.exec(id.replace(/\?.*$/, ''));
  if (srcMatch) {
    // One level under src/lib (rooms, media, components…), else the top folder of src.
    const parts = srcMatch[1].split('/');
    if (parts[0] === 'lib') return parts.length > 2 ? `src/lib/${parts[1]}` : 'src/lib';
    return parts.length > 1 ? `src/${parts[0]}` : 'src';
  }
  if (id.includes('.svelte-kit/generated')) return '(sveltekit generated)';
  return id.startsWith('\0') ? '(virtual)' : id;
}
