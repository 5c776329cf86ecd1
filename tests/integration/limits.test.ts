/** Rate limit, slow consumers and heartbeats, against a real relay. */
import { describe, expect, it } from 'vitest';
import { delay, metric, scrape, uniqueTopic, until, useRelayHarness } from './helpers.js';

const harness = useRelayHarness();

describe('rate limit [R-72]', () => {
  // 0.1 token/s: not even one token refills during a test, so the counts below are exact.
  const limits = { rateLimitPerSecond: 0.1, rateLimitBurst: 10 };

  it('[R-72] past the burst, frames are dropped with one rate-limited notice and the connection stays open', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders(limits);
    const eager = await harness.client(relay.url);
    for (let i = 0; i < 15; i++) eager.send({ type: 'ping' });
    await eager.count('pong', 10);
    await until(async () => metric(await scrape(relay), 'relay_dropped_messages_total', { reason: 'rate-limited' }) === 5, {
      what: '5 dropped frames',
    });
    expect(eager.all('pong')).toHaveLength(10);
    const notices = eager.all('error');
    expect(notices).toEqual([{ type: 'error', code: 'rate-limited', message: expect.stringContaining('0.1 messages/s') }]);
    expect(eager.isOpen).toBe(true);
    await stillServing();
  });

  it('[R-72] a sustained flood is closed with 1008 after a second burst of refused frames', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders(limits);
    const flooder = await harness.client(relay.url);
    const topic = uniqueTopic();
    const victim = await harness.client(relay.url);
    victim.send({ type: 'subscribe', topics: [topic] });
    await victim.sync();
    flooder.send({ type: 'subscribe', topics: [topic] });
    for (let i = 0; i < 100; i++) flooder.send({ type: 'publish', topic, data: i });
    expect(await flooder.waitClosed()).toEqual({ code: 1008, reason: 'rate limit exceeded' });
    // Frame 1 subscribed, frames 2-10 were relayed, 11-19 dropped, the 20th closed the connection
    // (or the 21st: the few milliseconds of the test refill a sliver of a token).
    await until(() => victim.all('publish').length === 9, { what: 'the 9 allowed publishes' });
    expect(victim.all('publish').map((f) => f.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(flooder.all('error')).toEqual([expect.objectContaining({ code: 'rate-limited' })]);
    const text = await scrape(relay);
    // Once: the frames still in flight after the close are not counted again.
    expect(metric(text, 'relay_disconnects_total', { reason: 'rate-limit' })).toBe(1);
    expect(metric(text, 'relay_dropped_messages_total', { reason: 'rate-limited' })).toBeGreaterThanOrEqual(9);
    expect(metric(text, 'relay_dropped_messages_total', { reason: 'rate-limited' })).toBeLessThanOrEqual(10);
    await victim.sync();
    expect(victim.all('publish')).toHaveLength(9);
    await stillServing();
  });

  it('[R-72] a throttled client is served again once tokens refill, and is told again if it overdoes it again', async () => {
    const relay = await harness.relay({ rateLimitPerSecond: 10, rateLimitBurst: 5 });
    const client = await harness.client(relay.url);
    // 5 allowed, 3 dropped (a debt of 3; a debt of 5 would close the connection).
    for (let i = 0; i < 8; i++) client.send({ type: 'ping' });
    await client.next('error');
    // 10 tokens/s: after 1 s the debt is paid and the bucket is full again (capped at 5).
    await delay(1000);
    await client.sync(); // 4 tokens left
    for (let i = 0; i < 6; i++) client.send({ type: 'ping' }); // 4 pongs, 2 dropped with a new notice
    await client.count('error', 2);
    expect(client.all('error').every((f) => f.code === 'rate-limited')).toBe(true);
    await until(() => relay.relay.stats().messagesIn === 8 + 1 + 6, { what: 'every frame to be handled' });
    expect(metric(await scrape(relay), 'relay_disconnects_total', { reason: 'rate-limit' })).toBe(0);
    await delay(1000); // refill again, then show the connection is still served
    await client.sync();
  });

  it('[R-72] rateLimitPerSecond 0 turns the limit off', async () => {
    const relay = await harness.relay({ rateLimitPerSecond: 0, rateLimitBurst: 0 });
    const client = await harness.client(relay.url);
    for (let i = 0; i < 2000; i++) client.send({ type: 'ping' });
    await client.count('pong', 2000);
    expect(client.all('error')).toEqual([]);
  });
});

describe('slow consumers [R-72]', () => {
  it('[R-72] a receiver that stops reading is terminated once its backlog passes maxBufferedBytes; others keep receiving', async () => {
    const relay = await harness.relay({ rateLimitPerSecond: 0, maxBufferedBytes: 256 * 1024 });
    const topic = uniqueTopic();
    const [publisher, reader] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    publisher.send({ type: 'subscribe', topics: [topic] });
    reader.send({ type: 'subscribe', topics: [topic] });
    await Promise.all([publisher.sync(), reader.sync()]);

    const stalled = await harness.raw(relay.url);
    stalled.sendText(JSON.stringify({ type: 'subscribe', topics: [topic] }));
    const members = async () => {
      const reply = await publisher.request({ type: 'room-query', id: `q${Date.now()}${Math.random()}`, rooms: [topic] });
      return (reply.rooms as { members: number }[])[0].members;
    };
    await until(async () => (await members()) === 3, { what: 'the raw client to subscribe' });
    stalled.socket.pause(); // never reads again: the kernel buffers fill, then the relay's

    // Publish 32 KiB frames in batches (waiting for the reader each time, so this test does not
    // flood itself) until the relay gives up on the stalled socket. Kernel buffers on loopback
    // take a few MiB before anything stays in the relay's own buffer.
    const payload = 'z'.repeat(32 * 1024);
    let sent = 0;
    await until(
      async () => {
        for (let i = 0; i < 32; i++) publisher.send({ type: 'publish', topic, data: payload, seq: sent++ });
        await reader.count('publish', sent, 10_000);
        return relay.relay.stats().connections === 2;
      },
      { timeoutMs: 20_000, intervalMs: 0, what: 'the slow consumer to be dropped' },
    );
    expect(metric(await scrape(relay), 'relay_disconnects_total', { reason: 'slow-consumer' })).toBe(1);
    expect(await members()).toBe(2);

    // Every publish reached the reader, in order, and they still talk.
    expect(reader.all('publish').map((f) => f.seq)).toEqual(Array.from({ length: sent }, (_, i) => i));
    publisher.send({ type: 'publish', topic, data: 'after' });
    expect(await reader.next((f) => f.data === 'after')).toMatchObject({ clients: 2 });
  }, 30_000);
});

describe('heartbeat [R-72]', () => {
  it('[R-72] a connection that never answers pings is terminated after about two intervals; a ws client stays', async () => {
    const heartbeatIntervalMs = 300;
    const relay = await harness.relay({ heartbeatIntervalMs });
    const healthy = await harness.client(relay.url);
    const dead = await harness.raw(relay.url);
    const connectedAt = Date.now();
    await dead.ended;
    const elapsed = Date.now() - connectedAt;
    // First tick: ping; next tick: no pong yet → terminated.
    expect(elapsed).toBeGreaterThanOrEqual(heartbeatIntervalMs * 0.8);
    expect(elapsed).toBeLessThan(heartbeatIntervalMs * 10);
    expect(dead.received).toBeGreaterThan(0); // it was pinged (a ping frame is 2 bytes)
    expect(metric(await scrape(relay), 'relay_disconnects_total', { reason: 'heartbeat-timeout' })).toBe(1);

    // The ws client answers every ping by itself and outlives several intervals.
    await until(() => healthy.pingsReceived >= 4, { what: 'four heartbeat pings' });
    expect(healthy.isOpen).toBe(true);
    await healthy.sync();
    expect(relay.relay.stats().connections).toBe(1);
  });

  it('[R-72] a client that keeps sending frames counts as alive even if it never answers pings', async () => {
    const heartbeatIntervalMs = 300;
    const relay = await harness.relay({ heartbeatIntervalMs });
    const chatty = await harness.raw(relay.url);
    const timer = setInterval(() => chatty.sendText('{"type":"ping"}'), 50);
    try {
      await delay(heartbeatIntervalMs * 5);
    } finally {
      clearInterval(timer);
    }
    expect(chatty.isClosed).toBe(false);
    expect(relay.relay.stats().connections).toBe(1);
    // Once it goes quiet, the heartbeat cuts it.
    await chatty.ended;
    expect(metric(await scrape(relay), 'relay_disconnects_total', { reason: 'heartbeat-timeout' })).toBe(1);
  });

  it('[R-72] a dead connection is removed from its rooms', async () => {
    const relay = await harness.relay({ heartbeatIntervalMs: 200 });
    const topic = uniqueTopic();
    const dead = await harness.raw(relay.url);
    dead.sendText(JSON.stringify({ type: 'subscribe', topics: [topic] }));
    await until(() => relay.relay.stats().topics === 1, { what: 'the subscription' });
    await dead.ended;
    await until(() => relay.relay.stats().topics === 0 && relay.relay.stats().connections === 0, { what: 'the room to be emptied' });
  });
});
