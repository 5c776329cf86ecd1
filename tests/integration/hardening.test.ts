/**
 * The relay never crashes on bad input: each kind of bad frame gets a typed error or a
 * close with a specific code, is counted in /metrics, and a well-behaved pair of clients on
 * the same relay keeps exchanging publishes afterwards.
 */
import { describe, expect, it } from 'vitest';
import { metric, scrape, uniqueTopic, useRelayHarness } from './helpers.js';
import type { ListeningRelay } from '../../signaling/listen.js';

const harness = useRelayHarness();

async function dropped(relay: ListeningRelay, reason: string): Promise<number> {
  return metric(await scrape(relay), 'relay_dropped_messages_total', { reason });
}

async function disconnects(relay: ListeningRelay, reason: string): Promise<number> {
  return metric(await scrape(relay), 'relay_disconnects_total', { reason });
}

describe('bad frames get a typed error and the connection stays open [R-72]', () => {
  it('[R-72] a frame that is not JSON is answered with error bad-json', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const bad = await harness.client(relay.url);
    bad.send('{"type":"subscribe", this is not json');
    expect(await bad.next('error')).toEqual({ type: 'error', code: 'bad-json', message: 'frame is not valid JSON' });
    await bad.sync(); // still open and served
    expect(await dropped(relay, 'bad-json')).toBe(1);
    await stillServing();
  });

  it('[R-72] a JSON array is answered with error bad-message', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const bad = await harness.client(relay.url);
    bad.send([{ type: 'ping' }]);
    expect(await bad.next('error')).toMatchObject({ code: 'bad-message', message: 'frame is not a JSON object' });
    await bad.sync();
    expect(bad.all('pong')).toHaveLength(1); // the array's ping was not executed
    expect(await dropped(relay, 'bad-message')).toBe(1);
    await stillServing();
  });

  it('[R-72] an unknown message type is answered with error bad-message', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const bad = await harness.client(relay.url);
    bad.send({ type: 'announce', topics: ['x'] });
    expect(await bad.next('error')).toMatchObject({ code: 'bad-message', message: 'unknown message type' });
    await bad.sync();
    await stillServing();
  });

  it('[R-72] fields of the wrong type are answered with error bad-message, one per frame', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const bad = await harness.client(relay.url);
    const frames = [
      { type: 'subscribe', topics: 'room' },
      { type: 'subscribe', topics: [1, 2] },
      { type: 'unsubscribe', topics: { a: 1 } },
      { type: 'publish', topic: 7, data: 'x' },
      // An extension request without a usable id cannot be answered by id.
      { type: 'room-enter', id: {}, room: 'room' },
    ];
    for (const frame of frames) bad.send(frame);
    const errors = await bad.count('error', frames.length);
    expect(errors.every((e) => e.code === 'bad-message')).toBe(true);
    await bad.sync();
    expect(bad.all('error')).toHaveLength(frames.length);
    expect(relay.relay.stats().topics).toBe(1); // only the bystanders' topic: nothing was subscribed
    expect(await dropped(relay, 'bad-message')).toBe(frames.length);
    await stillServing();
  });

  it('[R-71] a malformed extension request with a readable id is answered room-error INVALID_REQUEST with that id', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const bad = await harness.client(relay.url);
    const frames = [
      { type: 'room-query', id: 'q', rooms: 'room' },
      { type: 'room-enter', id: 'e1', room: ['room'] },
      { type: 'room-enter', id: 'e2', room: 'room', mode: 'maybe' },
    ];
    for (const frame of frames) bad.send(frame);
    const replies = await bad.count('room-error', frames.length);
    expect(replies.map((r) => [r.id, r.code])).toEqual([
      ['q', 'INVALID_REQUEST'],
      ['e1', 'INVALID_REQUEST'],
      ['e2', 'INVALID_REQUEST'],
    ]);
    expect(replies[2]).toMatchObject({ room: 'room', message: expect.stringContaining('mode') });
    expect(relay.relay.stats().topics).toBe(1);
    expect(await dropped(relay, 'bad-message')).toBe(frames.length);
    await stillServing();
  });

  it('[R-72] publishing to a topic the sender is not subscribed to is refused with not-subscribed', async () => {
    const { relay, topic, bob, stillServing } = await harness.relayWithBystanders();
    const stranger = await harness.client(relay.url);
    // It knows the bystanders' room name but never subscribed: nothing reaches the room.
    stranger.send({ type: 'publish', topic, data: 'spam' });
    expect(await stranger.next('error')).toMatchObject({ code: 'not-subscribed' });
    stranger.send({ type: 'publish', topic: uniqueTopic('nobody'), data: 'spam' });
    expect(await stranger.next('error')).toMatchObject({ code: 'not-subscribed' });
    await Promise.all([stranger.sync(), bob.sync()]);
    expect(stranger.all('publish')).toEqual([]);
    expect(bob.all('publish')).toEqual([]);
    expect(await dropped(relay, 'not-subscribed')).toBe(2);
    await stillServing();
  });

  it('[R-72] subscribing past maxTopicsPerConnection is refused with too-many-topics; the first ones stay', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders({ maxTopicsPerConnection: 3 });
    const greedy = await harness.client(relay.url);
    const topics = [uniqueTopic(), uniqueTopic(), uniqueTopic(), uniqueTopic(), uniqueTopic()];
    greedy.send({ type: 'subscribe', topics });
    expect(await greedy.next('error')).toMatchObject({ code: 'too-many-topics', message: expect.stringContaining('3') });
    await greedy.sync();
    expect(greedy.all('error')).toHaveLength(1); // one refusal for the frame, not one per topic
    expect(relay.relay.stats().topics).toBe(1 + 3);
    greedy.send({ type: 'publish', topic: topics[2], data: 'ok' });
    expect(await greedy.next('publish')).toMatchObject({ data: 'ok', clients: 1 });
    greedy.send({ type: 'publish', topic: topics[3], data: 'no' });
    expect(await greedy.next('error')).toMatchObject({ code: 'not-subscribed' });
    // After leaving one, there is room for another.
    greedy.send({ type: 'unsubscribe', topics: [topics[0]] });
    greedy.send({ type: 'subscribe', topics: [topics[3]] });
    greedy.send({ type: 'publish', topic: topics[3], data: 'now' });
    expect(await greedy.next('publish')).toMatchObject({ data: 'now' });
    await stillServing();
  });

  it('[R-72] an over-long or empty topic is refused with invalid-topic; valid topics in the same frame still count', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders({ maxTopicLength: 16 });
    const bad = await harness.client(relay.url);
    const longest = 'x'.repeat(16);
    bad.send({ type: 'subscribe', topics: ['x'.repeat(17), longest, ''] });
    expect(await bad.next('error')).toMatchObject({ code: 'invalid-topic', message: 'topic must be 1-16 characters' });
    bad.send({ type: 'publish', topic: longest, data: 1 });
    expect(await bad.next('publish')).toMatchObject({ topic: longest, clients: 1 });
    expect(relay.relay.stats().topics).toBe(2);
    bad.send({ type: 'subscribe', topics: [''] });
    expect(await bad.next('error')).toMatchObject({ code: 'invalid-topic' });
    expect(await dropped(relay, 'invalid-topic')).toBe(2);
    await stillServing();
  });

  it('[R-72] one subscribe frame full of invalid topics gets one error, not one per topic (no amplification)', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const bad = await harness.client(relay.url);
    // ~20,000 empty topics fit in one 64 KiB frame; answering each would send back ~25 times the input.
    const topics = Array.from({ length: 20_000 }, () => '');
    bad.send({ type: 'subscribe', topics });
    await bad.next('error');
    await bad.sync();
    expect(bad.all('error')).toHaveLength(1);
    await stillServing();
  });
});

describe('frames that close the connection [R-72]', () => {
  it('[R-72] a binary frame closes the sender with 1003; others are unaffected', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const bad = await harness.client(relay.url);
    bad.ws.send(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true });
    expect(await bad.waitClosed()).toEqual({ code: 1003, reason: 'binary frames are not supported' });
    expect(bad.all('pong')).toEqual([]);
    expect(await disconnects(relay, 'binary-frame')).toBe(1);
    await stillServing();
  });

  it('[R-72] a frame over maxFrameBytes closes the sender with 1009; a frame at the limit is fine', async () => {
    const maxFrameBytes = 1024;
    const { relay, stillServing } = await harness.relayWithBystanders({ maxFrameBytes });
    const topic = uniqueTopic();
    const sender = await harness.client(relay.url);
    sender.send({ type: 'subscribe', topics: [topic] });
    const prefix = `{"type":"publish","topic":"${topic}","data":"`;
    const frameOfSize = (size: number) => `${prefix}${'x'.repeat(size - prefix.length - 2)}"}`;
    const atLimit = frameOfSize(maxFrameBytes);
    expect(Buffer.byteLength(atLimit)).toBe(maxFrameBytes);
    sender.send(atLimit);
    expect(await sender.next('publish')).toEqual({ ...JSON.parse(atLimit), clients: 1 });

    sender.send(frameOfSize(maxFrameBytes + 1));
    expect((await sender.waitClosed()).code).toBe(1009);
    expect(await disconnects(relay, 'frame-too-large')).toBe(1);
    await stillServing();
  });

  it('[R-72] with the default limits, a frame over 64 KiB closes the sender with 1009 and a 64 KiB one is relayed', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const topic = uniqueTopic();
    const sender = await harness.client(relay.url);
    sender.send({ type: 'subscribe', topics: [topic] });
    const prefix = `{"type":"publish","topic":"${topic}","data":"`;
    const frame = (size: number) => `${prefix}${'y'.repeat(size - prefix.length - 2)}"}`;
    sender.send(frame(64 * 1024));
    expect(await sender.next('publish')).toMatchObject({ topic, clients: 1 });
    sender.send(frame(64 * 1024 + 1));
    expect((await sender.waitClosed()).code).toBe(1009);
    await stillServing();
  });

  it('[R-72] a text frame that is not valid UTF-8 closes the sender with 1007', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const bad = await harness.client(relay.url);
    bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await bad.waitClosed()).code).toBe(1007);
    expect(await disconnects(relay, 'protocol-error')).toBe(1);
    await stillServing();
  });

  it('[R-72] garbage instead of a WebSocket frame after the handshake is cut off; others are unaffected', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders();
    const raw = await harness.raw(relay.url);
    // An unmasked frame with reserved bits and opcode set: a protocol error (client frames must be masked).
    raw.socket.write(Buffer.from([0xff, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]));
    await raw.ended;
    expect(await disconnects(relay, 'protocol-error')).toBe(1);
    await stillServing();
  });

  it('[R-72] a handful of hostile connections at once do not take the relay down', async () => {
    const { relay, stillServing } = await harness.relayWithBystanders({ maxFrameBytes: 4096 });
    const clients = await Promise.all(Array.from({ length: 6 }, () => harness.client(relay.url)));
    clients[0].send('nope');
    clients[1].ws.send(Buffer.alloc(10), { binary: true });
    clients[2].send('x'.repeat(5000));
    clients[3].send({ type: 'subscribe', topics: Array.from({ length: 500 }, (_, i) => `t${i}`) });
    clients[4].send('null');
    clients[5].send({ type: 'publish', topic: 'nowhere' });
    await Promise.all([clients[1].waitClosed(), clients[2].waitClosed()]);
    await Promise.all([clients[0].next('error'), clients[3].next('error'), clients[4].next('error'), clients[5].next('error')]);
    await stillServing();
  });
});
