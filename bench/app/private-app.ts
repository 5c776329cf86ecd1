/**
 * The app benchmarks' own copy of the app: the sources are copied to a private directory, built
 * there and served from there by the same server as `npm start` (`server/start.ts`). Other
 * people build and serve `build/` of the checkout at the same time; a private copy keeps their
 * builds and ours from replacing each other's files mid-run.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What `server/start.ts` needs to build and serve the app (the same inputs it watches, plus itself). */
const COPIED = ['src', 'static', 'server', 'signaling', 'scripts', 'package.json', 'svelte.config.js', 'vite.config.ts', 'tsconfig.json'];
/** Written by bench/app/module-sizes.ts during our build. */
export const MODULE_SIZES_FILE = 'module-sizes.json';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** The copy's build is newer than every source of the checkout (the rule `npm start` uses). */
function copyIsCurrent(appDir: string): boolean {
  const marker = join(appDir, 'build', 'index.html');
  if (!existsSync(marker) || !existsSync(join(appDir, MODULE_SIZES_FILE))) return false;
  const builtAt = statSync(marker).mtimeMs;
  return COPIED.every((input) => !existsSync(join(REPO_ROOT, input)) || newestMtime(join(REPO_ROOT, input)) <= builtAt);
}

/**
 * Copies the checkout's sources to `appDir` and builds them there. `auto`: unless the copy was
 * built after the checkout's sources last changed; `never`: unless a build is there at all.
 */
export function preparePrivateApp(appDir: string, options: { rebuild: 'auto' | 'always' | 'never' }): void {
  if (options.rebuild === 'never' && existsSync(join(appDir, 'build', 'index.html'))) return;
  if (options.rebuild === 'auto' && copyIsCurrent(appDir)) return;
  console.log(`building the app in ${appDir} (a private copy of ${REPO_ROOT})…`);
  mkdirSync(appDir, { recursive: true });
  for (const input of [...COPIED, 'build', MODULE_SIZES_FILE]) rmSync(join(appDir, input), { recursive: true, force: true });
  for (const input of COPIED) {
    if (existsSync(join(REPO_ROOT, input))) cpSync(join(REPO_ROOT, input), join(appDir, input), { recursive: true });
  }
  if (!existsSync(join(appDir, 'node_modules'))) symlinkSync(join(REPO_ROOT, 'node_modules'), join(appDir, 'node_modules'));
  // The app's own Vite config plus the module-size recorder; the output is the same build.
  const pluginPath = join(REPO_ROOT, 'bench', 'app', 'module-sizes.ts');
  writeFileSync(
    join(appDir, 'vite.bench.config.ts'),
    `import { mergeConfig } from 'vite';\nimport base from './vite.config';\nimport { moduleSizesPlugin } from ${JSON.stringify(pluginPath)};\n` +
      `export default mergeConfig(base, { plugins: [moduleSizesPlugin(${JSON.stringify(join(appDir, MODULE_SIZES_FILE))})] });\n`,
  );
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', 'vite.bench.config.ts', '--logLevel', 'warn'], { cwd: appDir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`vite build in ${appDir} failed (see above)`);
}

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

/** `tsx server/start.ts --port <port>` in the private copy; resolves once /healthz answers. */
export async function startAppServer(appDir: string, port: number): Promise<AppServer> {
  const child: ChildProcess = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['server/start.ts', '--port', String(port)], { cwd: appDir, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = () => child.kill('SIGTERM');
  process.once('exit', stop);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the app server on port ${port} exited (is the port in use?)`);
    if (Date.now() > deadline) {
      stop();
      throw new Error(`the app server on port ${port} did not answer /healthz within 60 s`);
    }
    const healthy = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false, // not listening yet
    );
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        process.removeListener('exit', stop);
        if (exited) return resolve();
        child.once('exit', () => resolve());
        stop();
      }),
  };
}
