/**
 * Several relays on one real Redis behave as one: publishes cross relays, and room
 * presence [R-71] (existence, members, create/join races, destroyDelay, the delayed-room cap,
 * password verifiers) is decided for all of them at once. Also what happens when a relay is
 * killed, and when Redis goes away and comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { delay, httpGet, metric, scrape, uniqueTopic, until, useRelayHarness, type TestClient } from './helpers.js';
import { freePort, startRedis, type TestRedis } from './redis-server.js';
import { listenRelay, type ListeningRelay } from '../../signaling/listen.js';
import type { RelayOptions } from '../../signaling/options.js';
import type { ClusterTuning } from '../../signaling/cluster/cluster.js';

const harness = useRelayHarness();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Quick heartbeats and reconnections for the tests. The liveness period stays well above any
 * event-loop stall a loaded machine may cause (a relay whose registration expires counts
 * nothing until it registers again), and commands get time enough that a slow machine does
 * not make the relays fall back on deciding alone.
 */
const FAST = { heartbeatMs: 250, livenessMs: 5000, reconnectMaxDelayMs: 200, commandTimeoutMs: 10_000 } as const;
/** The relay process that gets killed is declared dead 1.5 s after its last heartbeat. */
const DOOMED = { ...FAST, heartbeatMs: 200, livenessMs: 1500 } as const;
/** How soon a killed relay's members must stop counting: its liveness, a sweep, and slack for a loaded machine. */
const DEAD_RELAY_BOUND_MS = DOOMED.livenessMs + FAST.heartbeatMs + 2500;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 20_000);
afterAll(async () => {
  await redis?.stop();
});

let prefixCounter = 0;
/** Every test gets its own key prefix: relays of different tests never meet in Redis. */
const newPrefix = () => `test-${process.pid}-${++prefixCounter}:`;

interface ClusterRelay extends ListeningRelay {
  logs: string[];
}

async function clusterRelay(keyPrefix: string, options: Partial<RelayOptions> = {}, tuning: Partial<ClusterTuning> = {}): Promise<ClusterRelay> {
  const logs: string[] = [];
  const log = { info: (line: string) => logs.push(line), warn: (line: string) => logs.push(line) };
  const running = await listenRelay({ port: 0, redisUrl: redis.url, ...options, cluster: { ...FAST, keyPrefix, log, ...tuning } });
  harness.onCleanup(() => running.close());
  return Object.assign(running, { logs });
}

async function health(relay: ListeningRelay): Promise<{ status: string; redis?: string }> {
  return JSON.parse((await httpGet(relay, '/healthz')).body) as { status: string; redis?: string };
}

async function connected(...relays: ListeningRelay[]): Promise<void> {
  await until(async () => (await Promise.all(relays.map(health))).every((h) => h.redis === 'connected'), {
    timeoutMs: 10_000,
    what: 'the relays to connect to redis',
  });
}

/** Two relays on the same Redis, connected. */
async function relayPair(options: Partial<RelayOptions> = {}) {
  const keyPrefix = newPrefix();
  const [a, b] = await Promise.all([clusterRelay(keyPrefix, options), clusterRelay(keyPrefix, options)]);
  await connected(a, b);
  return { a, b, keyPrefix };
}

let requestCounter = 0;
function enter(client: TestClient, room: string, mode: 'create' | 'join' | 'any', extra: { destroyDelay?: number; keyCheck?: string; incarnation?: string } = {}) {
  return client.request({ type: 'room-enter', id: `r-${++requestCounter}`, room, mode, ...extra });
}

async function roomInfo(client: TestClient, room: string) {
  const reply = await client.request({ type: 'room-query', id: `q-${++requestCounter}`, rooms: [room] });
  return (reply.rooms as { room: string; exists: boolean; members: number; destroyDelay: number }[])[0];
}

const publishOf = (data: string) => (frame: { type: string; data?: unknown }) => frame.type === 'publish' && frame.data === data;

describe('several relays on one Redis [R-73]', () => {
  it('[R-73] a publish on either relay reaches the subscribers on both, once each', async () => {
    const { a, b } = await relayPair();
    const room = uniqueTopic('bus');
    const [a1, a2, b1] = await Promise.all([harness.client(a.url), harness.client(a.url), harness.client(b.url)]);
    for (const client of [a1, a2, b1]) expect(await enter(client, room, 'any')).toMatchObject({ type: 'room-entered' });

    a1.send({ type: 'publish', topic: room, data: 'from-a' });
    // `clients` counts the subscribers on the relay that delivers the frame.
    expect(await b1.next(publishOf('from-a'))).toMatchObject({ topic: room, clients: 1 });
    expect(await a2.next(publishOf('from-a'))).toMatchObject({ clients: 2 });
    b1.send({ type: 'publish', topic: room, data: 'from-b' });
    expect(await a1.next(publishOf('from-b'))).toMatchObject({ topic: room, clients: 2 });
    expect(await a2.next(publishOf('from-b'))).toBeDefined();
    expect(await b1.next(publishOf('from-b'))).toMatchObject({ clients: 1 });

    // Once each: a relay must drop its own publishes that Redis hands back to it.
    await delay(300);
    await Promise.all([a1.sync(), a2.sync(), b1.sync()]);
    for (const client of [a1, a2, b1]) {
      expect(client.all(publishOf('from-a'))).toHaveLength(1);
      expect(client.all(publishOf('from-b'))).toHaveLength(1);
    }
    expect(metric(await scrape(a), 'relay_redis_published_total')).toBe(1);
    expect(metric(await scrape(a), 'relay_redis_received_total')).toBe(1);
  });

  it('[R-70][R-73] stock y-webrtc clients (plain subscribe) on different relays hear each other', async () => {
    const { a, b } = await relayPair();
    const room = uniqueTopic('stock');
    const [a1, b1] = await Promise.all([harness.client(a.url), harness.client(b.url)]);
    a1.send({ type: 'subscribe', topics: [room] });
    b1.send({ type: 'subscribe', topics: [room] });
    await Promise.all([a1.sync(), b1.sync()]);
    // A plain subscribe has no reply that waits for Redis: publish until one gets across.
    let n = 0;
    await until(
      () => {
        a1.send({ type: 'publish', topic: room, data: `hello-${++n}` });
        return b1.all('publish').length > 0;
      },
      { intervalMs: 50, what: 'a publish from relay A to reach relay B' },
    );
    b1.send({ type: 'publish', topic: room, data: 'back' });
    expect(await a1.next(publishOf('back'))).toMatchObject({ topic: room });
  });

  it('[R-3][R-73] a room has one incarnation on every relay while it exists, and another once created again', async () => {
    const { a, b } = await relayPair();
    const room = uniqueTopic('incarnation');
    const [a1, b1, b2, askA] = await Promise.all([a, b, b, a].map((relay) => harness.client(relay.url)));
    const first = await enter(a1, room, 'create');
    expect(first.incarnation).toEqual(expect.any(String));
    expect(await enter(b1, room, 'join', { incarnation: 'proposed-too-late' })).toMatchObject({ created: false, incarnation: first.incarnation });
    // A plain subscriber on B counts as a member; a later room-enter on B still answers the same.
    b2.send({ type: 'subscribe', topics: [room] });
    await until(async () => (await roomInfo(askA, room)).members === 3, { what: "relay A to count B's subscriber" });
    expect(await enter(b2, room, 'any')).toMatchObject({ created: false, incarnation: first.incarnation });
    for (const client of [a1, b1, b2]) client.send({ type: 'unsubscribe', topics: [room] });
    await until(async () => !(await roomInfo(askA, room)).exists, { what: 'the room to be destroyed' });
    const again = await enter(b1, room, 'create');
    expect(again).toMatchObject({ created: true });
    expect(again.incarnation).not.toBe(first.incarnation);
  });

  it('[R-71][R-73] room presence is the same on every relay: existence, members, destroyDelay, password', async () => {
    const { a, b } = await relayPair();
    const room = uniqueTopic('presence');
    const [a1, b1, b2, askA, askB] = await Promise.all([a, b, b, a, b].map((relay) => harness.client(relay.url)));

    expect(await enter(a1, room, 'create', { destroyDelay: 60, keyCheck: 'k1' })).toMatchObject({ created: true, members: 1, destroyDelay: 60 });
    expect(await roomInfo(askB, room)).toEqual({ room, exists: true, members: 1, destroyDelay: 60 });
    expect(await enter(b1, room, 'join', { keyCheck: 'k1' })).toMatchObject({ type: 'room-entered', created: false, members: 2, destroyDelay: 60 });
    expect(await enter(b2, room, 'join', { keyCheck: 'k2' })).toMatchObject({ type: 'room-error', code: 'WRONG_PASSWORD' });
    expect(await enter(b2, room, 'create')).toMatchObject({ type: 'room-error', code: 'ROOM_ALREADY_EXISTS' });
    expect(await roomInfo(askA, room)).toMatchObject({ exists: true, members: 2 });

    b1.send({ type: 'unsubscribe', topics: [room] });
    await until(async () => (await roomInfo(askA, room)).members === 1, { what: "relay A to see B's member leave" });
    // A plain subscribe counts as a member too, on any relay.
    b2.send({ type: 'subscribe', topics: [room] });
    await until(async () => (await roomInfo(askA, room)).members === 2, { what: "relay A to count B's subscriber" });
    // A room nobody made does not exist anywhere.
    expect(await roomInfo(askA, uniqueTopic('none'))).toMatchObject({ exists: false, members: 0 });
  });

  it('[R-11][R-73] two clients racing to create the same room on two relays: exactly one wins', async () => {
    const { a, b } = await relayPair();
    const [onA, onB] = await Promise.all([harness.client(a.url), harness.client(b.url)]);
    const winners = { a: 0, b: 0 };
    for (let round = 0; round < 25; round++) {
      const room = uniqueTopic('race');
      const [fromA, fromB] = await Promise.all([enter(onA, room, 'create'), enter(onB, room, 'create')]);
      const outcomes = [fromA, fromB].map((reply) => (reply.type === 'room-entered' && reply.created ? 'won' : reply.code));
      expect(outcomes.sort()).toEqual(['ROOM_ALREADY_EXISTS', 'won']);
      if (fromA.type === 'room-entered') winners.a++;
      else winners.b++;
      expect(await roomInfo(onA, room)).toMatchObject({ exists: true, members: 1 });
    }
    expect(winners.a + winners.b).toBe(25);
  });

  it('[R-3][R-73] a room kept alive by its destroyDelay after its last member left relay A is known on relay B until the delay ends', async () => {
    const { a, b } = await relayPair();
    const room = uniqueTopic('linger');
    const [a1, b1, askB] = await Promise.all([harness.client(a.url), harness.client(b.url), harness.client(b.url)]);
    expect(await enter(a1, room, 'create', { destroyDelay: 2 })).toMatchObject({ created: true, destroyDelay: 2 });
    a1.send({ type: 'unsubscribe', topics: [room] });
    await until(async () => (await roomInfo(askB, room)).members === 0, { what: 'the member to leave' });
    expect(await roomInfo(askB, room)).toEqual({ room, exists: true, members: 0, destroyDelay: 2 });

    // Joining on B takes the lingering room back; leaving again starts the delay afresh.
    expect(await enter(b1, room, 'join')).toMatchObject({ type: 'room-entered', created: false, members: 1, destroyDelay: 2 });
    b1.send({ type: 'unsubscribe', topics: [room] });
    await b1.sync();
    const left = Date.now();
    await until(async () => !(await roomInfo(askB, room)).exists, { timeoutMs: 6000, intervalMs: 100, what: 'the delay to end' });
    // Gone after the delay, not before it (the query runs every 100 ms; allow a little).
    expect(Date.now() - left).toBeGreaterThan(1700);
    expect(await enter(a1, room, 'join')).toMatchObject({ type: 'room-error', code: 'ROOM_NOT_FOUND' });
  });

  it('[R-73] a connection\'s frames keep their order while its room request waits for Redis', async () => {
    const { a, b } = await relayPair();
    const room = uniqueTopic('order');
    const [a1, askB] = await Promise.all([harness.client(a.url), harness.client(b.url)]);
    // Sent back to back: the unsubscribe arrives while the entry is still in Redis, and must
    // not overtake it (else it would find nothing to leave, and the entry would stay).
    a1.send({ type: 'room-enter', id: 'first', room, mode: 'create' });
    a1.send({ type: 'unsubscribe', topics: [room] });
    a1.send({ type: 'room-enter', id: 'second', room, mode: 'join' });
    expect(await a1.next((f) => f.id === 'first')).toMatchObject({ type: 'room-entered', created: true, members: 1 });
    // The room had no member left after the unsubscribe and no destroyDelay: it was gone.
    expect(await a1.next((f) => f.id === 'second')).toMatchObject({ type: 'room-error', code: 'ROOM_NOT_FOUND' });
    expect(await roomInfo(askB, room)).toMatchObject({ exists: false, members: 0 });
  });

  it('[R-3][R-73] the cap on rooms with a destroyDelay counts such rooms on every relay', async () => {
    const { a, b } = await relayPair({ maxDelayedRooms: 2 });
    const [a1, b1] = await Promise.all([harness.client(a.url), harness.client(b.url)]);
    expect(await enter(a1, uniqueTopic('cap'), 'create', { destroyDelay: 30 })).toMatchObject({ created: true });
    expect(await enter(b1, uniqueTopic('cap'), 'create', { destroyDelay: 30 })).toMatchObject({ created: true });
    // Each relay holds one; together they hold the two the cap allows.
    expect(await enter(a1, uniqueTopic('cap'), 'create', { destroyDelay: 30 })).toMatchObject({ type: 'room-error', code: 'TOO_MANY_ROOMS' });
    expect(await enter(b1, uniqueTopic('cap'), 'any', { destroyDelay: 30 })).toMatchObject({ type: 'room-error', code: 'TOO_MANY_ROOMS' });
    expect(await enter(b1, uniqueTopic('cap'), 'create')).toMatchObject({ created: true });
  });

  it('[R-71][R-73] a relay process killed with SIGKILL: its members stop counting within the liveness bound', async () => {
    const keyPrefix = newPrefix();
    const b = await clusterRelay(keyPrefix);
    const doomed = await startRelayProcess(keyPrefix);
    await connected(b);
    await until(async () => (await fetch(`${doomed.url.replace('ws:', 'http:')}/healthz`).then((r) => r.json() as Promise<{ redis: string }>)).redis === 'connected', {
      timeoutMs: 10_000,
      what: 'the relay process to connect to redis',
    });
    const [shared, onlyThere, delayed] = [uniqueTopic('shared'), uniqueTopic('only'), uniqueTopic('delayed')];
    const [d1, d2, d3, b1] = await Promise.all([doomed, doomed, doomed, b].map((relay) => harness.client(relay.url)));
    expect(await enter(d1, shared, 'create')).toMatchObject({ created: true });
    expect(await enter(b1, shared, 'join')).toMatchObject({ members: 2 });
    expect(await enter(d2, onlyThere, 'create')).toMatchObject({ created: true });
    expect(await enter(d3, delayed, 'create', { destroyDelay: 2 })).toMatchObject({ created: true });
    expect(await roomInfo(b1, onlyThere)).toMatchObject({ exists: true, members: 1 });

    doomed.kill();
    const killedAt = Date.now();
    await until(
      async () => {
        const [s, o, d] = await Promise.all([roomInfo(b1, shared), roomInfo(b1, onlyThere), roomInfo(b1, delayed)]);
        return s.members === 1 && !o.exists && d.members === 0;
      },
      { timeoutMs: DEAD_RELAY_BOUND_MS + 5000, intervalMs: 100, what: "the killed relay's members to stop counting" },
    );
    const noticed = Date.now();
    expect(noticed - killedAt).toBeLessThan(DEAD_RELAY_BOUND_MS);
    // The room only the dead relay held is free to be made again.
    expect(await enter(b1, onlyThere, 'create')).toMatchObject({ created: true, members: 1 });
    // A room with a destroyDelay outlives the relay by that delay, as if its member had left.
    expect(await roomInfo(b1, delayed)).toEqual({ room: delayed, exists: true, members: 0, destroyDelay: 2 });
    await until(async () => !(await roomInfo(b1, delayed)).exists, { timeoutMs: 6000, intervalMs: 100, what: 'the delayed room to go' });
    expect(Date.now() - noticed).toBeGreaterThan(1000);
  }, 30_000);

  it('[R-73] Redis restarted: relays serve their own clients meanwhile, say so, then deliver across relays again', async () => {
    const { a, b } = await relayPair();
    const room = uniqueTopic('restart');
    const [a1, a2, b1] = await Promise.all([harness.client(a.url), harness.client(a.url), harness.client(b.url)]);
    for (const client of [a1, a2, b1]) await enter(client, room, 'any');
    a1.send({ type: 'publish', topic: room, data: 'before' });
    await b1.next(publishOf('before'));

    await redis.kill();
    await until(async () => (await health(a)).redis === 'disconnected', { what: 'relay A to notice' });
    const down = await httpGet(a, '/healthz');
    expect(down.status).toBe(200);
    expect(JSON.parse(down.body)).toMatchObject({ status: 'degraded', redis: 'disconnected' });
    expect(metric(await scrape(a), 'relay_redis_connected')).toBe(0);
    expect(a.logs.filter((line) => /redis connection lost/.test(line))).toHaveLength(1);

    // This relay's own clients are still served: messages, and rooms (decided here alone).
    a1.send({ type: 'publish', topic: room, data: 'during' });
    await a2.next(publishOf('during'));
    const a3 = await harness.client(a.url);
    expect(await enter(a3, uniqueTopic('local'), 'create')).toMatchObject({ created: true });
    expect(await roomInfo(a3, room)).toMatchObject({ exists: true, members: 2 });

    await redis.restart();
    await connected(a, b);
    expect(a.logs.some((line) => /redis back/.test(line))).toBe(true);
    expect(metric(await scrape(a), 'relay_redis_connected')).toBe(1);
    let n = 0;
    await until(
      () => {
        a1.send({ type: 'publish', topic: room, data: `after-${++n}` });
        return b1.all((f) => f.type === 'publish' && String(f.data).startsWith('after-')).length > 0;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'cross-relay delivery to resume' },
    );
    // Redis came back empty; the relays put their members back.
    await until(async () => (await roomInfo(b1, room)).members === 3, { what: 'presence to be restored' });
    expect(b1.all(publishOf('during'))).toHaveLength(0);
  }, 30_000);

  it('[R-73] Redis unreachable from the start: the relay serves its own clients and logs one clear line', async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const logs: string[] = [];
    const log = { info: (line: string) => logs.push(line), warn: (line: string) => logs.push(line) };
    const relay = await listenRelay({ port: 0, redisUrl: nowhere, cluster: { ...FAST, keyPrefix: newPrefix(), log } });
    harness.onCleanup(() => relay.close());
    await until(async () => (await health(relay)).redis === 'disconnected', { what: 'the relay to give up on its first attempt' });
    const [c1, c2] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    const room = uniqueTopic('alone');
    expect(await enter(c1, room, 'create', { destroyDelay: 5 })).toMatchObject({ created: true });
    expect(await enter(c2, room, 'join')).toMatchObject({ members: 2 });
    c1.send({ type: 'publish', topic: room, data: 'local' });
    await c2.next(publishOf('local'));
    await delay(500); // several reconnection attempts
    expect(logs.filter((line) => /redis unreachable/.test(line))).toHaveLength(1);
    expect(logs[0]).toContain(nowhere);
  });

  it('[R-73] without a Redis URL the relay is standalone: no redis in /healthz or /metrics', async () => {
    const relay = await harness.relay();
    expect(await health(relay)).not.toHaveProperty('redis');
    expect(await scrape(relay)).not.toContain('relay_redis_');
  });

  it('[R-73] the CLI takes REDIS_URL and says when it is connected', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/cli.ts', '--port', '0'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    harness.onCleanup(() => void child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(() => /redis connected at redis:\/\/127\.0\.0\.1:\d+/.test(output), { timeoutMs: 15_000, what: `the CLI to connect; got ${output}` });
  }, 20_000);
});

/** The relay in a child process (tests/integration/fixtures/relay-process.ts), to be killed. */
async function startRelayProcess(keyPrefix: string): Promise<{ url: string; kill(): void }> {
  const options = { port: 0, redisUrl: redis.url, cluster: { ...DOOMED, keyPrefix } };
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/integration/fixtures/relay-process.ts', JSON.stringify(options)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  harness.onCleanup(() => void child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const match = await until(
    () => {
      if (child.exitCode !== null) throw new Error(`relay process exited: ${output}`);
      return /listening (ws:\/\/\S+)/.exec(output);
    },
    { timeoutMs: 15_000, what: 'the relay process to listen' },
  );
  return { url: match[1], kill: () => void child.kill('SIGKILL') };
}
