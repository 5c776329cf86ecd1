// Makes sure the redis-server the scale-out tests start (tests/integration/redis-server.ts)
// is installed. Like ensure-chromium.mjs: our machines reach Debian's packages, so as
// root we install Debian's redis-server with apt; otherwise we stop with the command to run.
// Only the binary is needed: the tests start their own server on a free port, and the
// package's own service is neither needed nor started here.
import { spawnSync } from 'node:child_process';

const binary = process.env.REDIS_SERVER_PATH || 'redis-server';
const works = () => spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
if (works()) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt || process.env.REDIS_SERVER_PATH) {
  console.error(
    `redis-server was not found (${binary}).\n` +
      'The relay scale-out tests start one of their own. On Debian/Ubuntu install it with:\n' +
      '  sudo apt-get update && sudo apt-get install -y redis-server\n' +
      'or point REDIS_SERVER_PATH at an existing redis-server binary.',
  );
  process.exit(1);
}

console.log("redis-server not found: installing Debian's redis-server package (apt-get)…");
// Where an init system runs, apt may start the packaged service on 6379; the tests never use it.
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'redis-server']]) {
  const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed; install redis-server by hand and run the tests again.`);
    process.exit(1);
  }
}
if (!works()) {
  console.error(`apt-get installed redis-server but ${binary} still does not run; set REDIS_SERVER_PATH.`);
  process.exit(1);
}
