/** GET /healthz, GET /metrics, and shutdown. */
import { describe, expect, it } from 'vitest';
import { httpGet, metric, scrape, uniqueTopic, until, useRelayHarness } from './helpers.js';
import { listenRelay } from '../../signaling/listen.js';

const harness = useRelayHarness();

describe('health and metrics endpoints [R-72]', () => {
  it('[R-72] GET /healthz answers JSON with status and live stats', async () => {
    const relay = await harness.relay();
    const empty = await httpGet(relay, '/healthz');
    expect(empty.status).toBe(200);
    expect(empty.type).toBe('application/json');
    expect(JSON.parse(empty.body)).toEqual({
      status: 'ok',
      uptimeSeconds: expect.any(Number),
      connections: 0,
      topics: 0,
      lingeringRooms: 0,
      messagesIn: 0,
      messagesOut: 0,
    });

    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    a.send({ type: 'subscribe', topics: [uniqueTopic(), uniqueTopic()] });
    await a.sync();
    await b.sync();
    const res = await fetch(`http://127.0.0.1:${relay.port}/healthz?verbose=1`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Out: each connection's hello, each sync's pong.
    expect(await res.json()).toMatchObject({ status: 'ok', connections: 2, topics: 2, messagesIn: 3, messagesOut: 4 });
  });

  it('[R-72] HEAD /healthz answers the status without a body; other paths and methods are 404', async () => {
    const relay = await harness.relay();
    const head = await fetch(`http://127.0.0.1:${relay.port}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await httpGet(relay, '/')).status).toBe(404);
    expect((await httpGet(relay, '/healthz/x')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${relay.port}/metrics`, { method: 'POST', body: 'x' })).status).toBe(404);
  });

  it('[R-72] GET /metrics is Prometheus text whose counters follow the traffic', async () => {
    const relay = await harness.relay();
    const initial = await httpGet(relay, '/metrics');
    expect(initial.status).toBe(200);
    expect(initial.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    // Every line is a comment or `name{labels} value`.
    for (const line of initial.body.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) relay_[a-z_]+ .+|relay_[a-z_]+(\{[a-z]+="[a-z-]+"\})? \d+)$/);
    }
    for (const name of ['relay_messages_in_total', 'relay_messages_out_total', 'relay_connections_total', 'relay_bytes_in_total']) {
      expect(initial.body).toContain(`# TYPE ${name} counter`);
      expect(metric(initial.body, name)).toBe(0);
    }

    const topic = uniqueTopic();
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    // Out 1 and 2: each connection's hello.
    const frames = [
      JSON.stringify({ type: 'subscribe', topics: [topic] }), // a: in 1
      JSON.stringify({ type: 'publish', topic, data: 'hi' }), // a: in 2, out 3 (a only)
      'not json', // a: in 3, out 4 (error), dropped bad-json
      JSON.stringify({ type: 'nope' }), // a: in 4, out 5 (error), dropped bad-message
    ];
    for (const frame of frames) a.send(frame);
    await a.count('error', 2);
    b.send({ type: 'subscribe', topics: [topic] }); // b: in 5
    await b.sync(); // b: in 6, out 6 (pong)
    a.send({ type: 'publish', topic, data: 'both' }); // a: in 7, out 7 and 8
    await b.next('publish');
    await a.next((f) => f.data === 'both');

    const text = await scrape(relay);
    expect(metric(text, 'relay_connections')).toBe(2);
    expect(metric(text, 'relay_connections_total')).toBe(2);
    expect(metric(text, 'relay_topics')).toBe(1);
    expect(metric(text, 'relay_messages_in_total')).toBe(7);
    expect(metric(text, 'relay_messages_out_total')).toBe(8);
    const bytesIn =
      frames.join('').length +
      JSON.stringify({ type: 'subscribe', topics: [topic] }).length +
      JSON.stringify({ type: 'ping' }).length +
      JSON.stringify({ type: 'publish', topic, data: 'both' }).length;
    expect(metric(text, 'relay_bytes_in_total')).toBe(bytesIn);
    expect(metric(text, 'relay_dropped_messages_total', { reason: 'bad-json' })).toBe(1);
    expect(metric(text, 'relay_dropped_messages_total', { reason: 'bad-message' })).toBe(1);
    expect(metric(text, 'relay_errors_total')).toBe(0);

    a.ws.close();
    b.ws.close();
    await until(async () => metric(await scrape(relay), 'relay_connections') === 0, { what: 'the connections gauge to drop' });
    const after = await scrape(relay);
    expect(metric(after, 'relay_topics')).toBe(0);
    expect(metric(after, 'relay_connections_total')).toBe(2); // a counter never goes down
  });
});

describe('shutdown [R-72]', () => {
  it('[R-72] close() closes every client with 1001 and frees the port', async () => {
    // Not through the harness: this test closes the relay itself.
    const running = await listenRelay({ port: 0 });
    let closedByTest = false;
    harness.onCleanup(() => (closedByTest ? undefined : running.close()));
    const clients = await Promise.all([harness.client(running.url), harness.client(running.url), harness.client(running.url)]);
    clients[0].send({ type: 'subscribe', topics: [uniqueTopic()] });
    await clients[0].sync();

    await running.close();
    closedByTest = true;
    for (const client of clients) {
      expect(await client.waitClosed()).toEqual({ code: 1001, reason: 'relay shutting down' });
    }
    expect(running.relay.stats()).toMatchObject({ connections: 0, topics: 0, lingeringRooms: 0 });
    await expect(fetch(`http://127.0.0.1:${running.port}/healthz`)).rejects.toThrow();
  });

  it('[R-72] while shutting down, /healthz says so with 503 and new upgrades are refused with 503', async () => {
    const relay = await harness.relay();
    const client = await harness.client(relay.url);
    // The relay alone (not its HTTP server) is closed, as server/start.ts hosts it.
    await relay.relay.close();
    expect((await client.waitClosed()).code).toBe(1001);
    const health = await httpGet(relay, '/healthz');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'shutting-down', connections: 0 });
    expect(await harness.refusal(relay.url)).toEqual({ status: 503, body: 'relay is shutting down\n' });
    expect(metric(await scrape(relay), 'relay_disconnects_total', { reason: 'shutdown' })).toBe(1);
  });

  it('[R-72] a client that never completes the close handshake does not hold shutdown up for long', async () => {
    const running = await listenRelay({ port: 0 });
    let closedByTest = false;
    harness.onCleanup(() => (closedByTest ? undefined : running.close()));
    const stuck = await harness.raw(running.url);
    stuck.socket.pause(); // never reads the close frame, never answers it
    const polite = await harness.client(running.url);

    const started = Date.now();
    await running.close();
    closedByTest = true;
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await polite.waitClosed()).code).toBe(1001);
    // The stuck one was terminated after the grace period (its close event follows on its own).
    await until(() => running.relay.stats().connections === 0, { what: 'the stuck connection to be cut' });
  });
});
