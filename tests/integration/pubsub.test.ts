import { describe, expect, it } from 'vitest';
import { uniqueTopic, until, useRelayHarness } from './helpers.js';

const harness = useRelayHarness();

describe('y-webrtc signaling protocol [R-70]', () => {
  it('[R-70] a publish reaches every subscriber, the sender included, with clients: N and its fields intact', async () => {
    const relay = await harness.relay();
    const topic = uniqueTopic();
    const [a, b, c] = await Promise.all([harness.client(relay.url), harness.client(relay.url), harness.client(relay.url)]);
    for (const client of [a, b, c]) client.send({ type: 'subscribe', topics: [topic] });
    await Promise.all([a.sync(), b.sync(), c.sync()]);

    const message = {
      type: 'publish',
      topic,
      data: { type: 'signal', from: 'peer-a', to: 'peer-b', signal: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' }, n: [1, 2.5, null, true] },
    };
    a.send(message);
    for (const client of [a, b, c]) {
      expect(await client.next('publish')).toEqual({ ...message, clients: 3 });
    }
  });

  it('[R-70] a publish does not reach connections that are not subscribed to its topic', async () => {
    const relay = await harness.relay();
    const topic = uniqueTopic();
    const other = uniqueTopic();
    const [sender, outsider, elsewhere] = await Promise.all([harness.client(relay.url), harness.client(relay.url), harness.client(relay.url)]);
    sender.send({ type: 'subscribe', topics: [topic] });
    elsewhere.send({ type: 'subscribe', topics: [other] });
    await Promise.all([sender.sync(), elsewhere.sync()]);

    sender.send({ type: 'publish', topic, data: 'hello' });
    // The echo to the sender proves the relay handled the publish; the pings that follow are
    // answered after it, so anything sent to the others would have arrived before their pong.
    expect(await sender.next('publish')).toMatchObject({ data: 'hello', clients: 1 });
    await Promise.all([outsider.sync(), elsewhere.sync()]);
    expect(outsider.all('publish')).toEqual([]);
    expect(elsewhere.all('publish')).toEqual([]);
  });

  it('[R-70] subscribe several topics at once; each publish goes to its own topic only', async () => {
    const relay = await harness.relay();
    const [t1, t2] = [uniqueTopic(), uniqueTopic()];
    const [both, only1] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    both.send({ type: 'subscribe', topics: [t1, t2] });
    only1.send({ type: 'subscribe', topics: [t1] });
    await Promise.all([both.sync(), only1.sync()]);

    both.send({ type: 'publish', topic: t2, data: 'to-2' });
    both.send({ type: 'publish', topic: t1, data: 'to-1' });
    expect(await both.next('publish')).toMatchObject({ topic: t2, data: 'to-2', clients: 1 });
    expect(await both.next('publish')).toMatchObject({ topic: t1, data: 'to-1', clients: 2 });
    expect(await only1.next('publish')).toMatchObject({ topic: t1, data: 'to-1', clients: 2 });
    await only1.sync();
    expect(only1.all('publish')).toHaveLength(1);
  });

  it('[R-70] subscribing twice to a topic counts the connection once', async () => {
    const relay = await harness.relay();
    const topic = uniqueTopic();
    const a = await harness.client(relay.url);
    a.send({ type: 'subscribe', topics: [topic, topic] });
    a.send({ type: 'subscribe', topics: [topic] });
    a.send({ type: 'publish', topic, data: 1 });
    expect(await a.next('publish')).toMatchObject({ clients: 1 });
    expect(relay.relay.stats().topics).toBe(1);
  });

  it('[R-70] after unsubscribe a connection no longer receives the topic, and clients counts drop', async () => {
    const relay = await harness.relay();
    const topic = uniqueTopic();
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    a.send({ type: 'subscribe', topics: [topic] });
    b.send({ type: 'subscribe', topics: [topic] });
    await Promise.all([a.sync(), b.sync()]);

    b.send({ type: 'unsubscribe', topics: [topic] });
    await b.sync();
    a.send({ type: 'publish', topic, data: 'after' });
    expect(await a.next('publish')).toMatchObject({ data: 'after', clients: 1 });
    await b.sync();
    expect(b.all('publish')).toEqual([]);
  });

  it('[R-70] unsubscribing a topic never subscribed, or with no topics, is harmless', async () => {
    const relay = await harness.relay();
    const a = await harness.client(relay.url);
    a.send({ type: 'unsubscribe', topics: ['never'] });
    a.send({ type: 'unsubscribe' });
    a.send({ type: 'subscribe' });
    await a.sync();
    expect(a.all('error')).toEqual([]);
    expect(relay.relay.stats().topics).toBe(0);
  });

  it('[R-70] a JSON ping is answered with a pong (y-webrtc closes a socket that hears nothing for 30 s)', async () => {
    const relay = await harness.relay();
    const a = await harness.client(relay.url);
    a.send({ type: 'ping' });
    expect(await a.next('pong')).toEqual({ type: 'pong' });
    a.send('{"type":"ping"}');
    a.send('{"type":"ping"}');
    await a.count('pong', 3);
  });

  it('[R-70] frames are relayed in the order they were published', async () => {
    const relay = await harness.relay();
    const topic = uniqueTopic();
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    a.send({ type: 'subscribe', topics: [topic] });
    b.send({ type: 'subscribe', topics: [topic] });
    await Promise.all([a.sync(), b.sync()]);
    for (let i = 0; i < 200; i++) a.send({ type: 'publish', topic, data: i });
    const received = await b.count('publish', 200);
    expect(received.map((f) => f.data)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('[R-72] empty topics are deleted when everyone unsubscribes or disconnects', async () => {
    const relay = await harness.relay();
    const [t1, t2] = [uniqueTopic(), uniqueTopic()];
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    a.send({ type: 'subscribe', topics: [t1, t2] });
    b.send({ type: 'subscribe', topics: [t1] });
    await Promise.all([a.sync(), b.sync()]);
    expect(relay.relay.stats().topics).toBe(2);

    a.send({ type: 'unsubscribe', topics: [t2] });
    await a.sync();
    expect(relay.relay.stats().topics).toBe(1);

    a.ws.close();
    await a.closed;
    b.ws.terminate(); // an abrupt disconnect, no close handshake
    await until(() => relay.relay.stats().connections === 0, { what: 'both connections to be gone' });
    expect(relay.relay.stats()).toMatchObject({ topics: 0, lingeringRooms: 0 });
  });
});
