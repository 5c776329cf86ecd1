/** Who may connect: the connection cap, the origin allow-list and the shared token. */
import { describe, expect, it } from 'vitest';
import { metric, scrape, until, useRelayHarness } from './helpers.js';

const harness = useRelayHarness();

describe('admission [R-72]', () => {
  it('[R-72] past maxConnections the upgrade is refused with HTTP 503; a freed slot is usable again', async () => {
    const relay = await harness.relay({ maxConnections: 2 });
    const a = await harness.client(relay.url);
    const b = await harness.client(relay.url);
    expect(await harness.refusal(relay.url)).toEqual({ status: 503, body: 'relay is at its connection limit\n' });
    // The two admitted clients are unaffected.
    await Promise.all([a.sync(), b.sync()]);
    expect(metric(await scrape(relay), 'relay_rejected_upgrades_total', { reason: 'capacity' })).toBe(1);

    a.ws.close();
    await until(() => relay.relay.stats().connections === 1, { what: 'the closed connection to be released' });
    const c = await harness.client(relay.url);
    await c.sync();
  });

  it('[R-72] a burst of simultaneous upgrades cannot overshoot maxConnections', async () => {
    const relay = await harness.relay({ maxConnections: 3 });
    // All ten handshakes are in flight at once; only three may become connections.
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, () => harness.client(relay.url)));
    const admitted = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.flatMap((a) => (a.status === 'rejected' ? [(a.reason as { status?: number }).status] : []));
    expect(admitted).toHaveLength(3);
    expect(refused).toEqual(Array(7).fill(503));
    expect(relay.relay.stats().connections).toBe(3);
  });

  it('[R-72] with an origin allow-list, a missing or unlisted Origin gets 403 and a listed one connects', async () => {
    const relay = await harness.relay({ allowedOrigins: ['https://rooms.example', 'http://localhost:5173'] });
    expect(await harness.refusal(relay.url)).toEqual({ status: 403, body: 'origin not allowed\n' });
    expect((await harness.refusal(relay.url, { origin: 'https://evil.example' })).status).toBe(403);
    // Exact match only: no prefix, suffix or case games.
    expect((await harness.refusal(relay.url, { origin: 'https://rooms.example.evil.example' })).status).toBe(403);
    expect((await harness.refusal(relay.url, { origin: 'https://rooms.example/' })).status).toBe(403);
    expect((await harness.refusal(relay.url, { origin: 'http://rooms.example' })).status).toBe(403);

    const ok = await harness.client(relay.url, { origin: 'https://rooms.example' });
    await ok.sync();
    const ok2 = await harness.client(relay.url, { origin: 'http://localhost:5173' });
    await ok2.sync();
    expect(metric(await scrape(relay), 'relay_rejected_upgrades_total', { reason: 'origin' })).toBe(5);
  });

  it('[R-72] without an allow-list any Origin (or none) connects', async () => {
    const relay = await harness.relay();
    await (await harness.client(relay.url)).sync();
    await (await harness.client(relay.url, { origin: 'https://anything.example' })).sync();
  });

  it('[R-72] with a token, a missing or wrong ?token= gets 401 and the right one connects', async () => {
    const token = 's3cret token&=?';
    const relay = await harness.relay({ token });
    expect(await harness.refusal(relay.url)).toEqual({ status: 401, body: 'missing or wrong token\n' });
    expect((await harness.refusal(`${relay.url}/?token=`)).status).toBe(401);
    expect((await harness.refusal(`${relay.url}/?token=wrong`)).status).toBe(401);
    // Same length, and a prefix of the right one: both refused.
    expect((await harness.refusal(`${relay.url}/?token=${encodeURIComponent('s3cret token&=!')}`)).status).toBe(401);
    expect((await harness.refusal(`${relay.url}/?token=${encodeURIComponent('s3cret')}`)).status).toBe(401);
    // The token must be in the query, not the path.
    expect((await harness.refusal(`${relay.url}/${encodeURIComponent(token)}`)).status).toBe(401);

    const ok = await harness.client(`${relay.url}/relay?room=x&token=${encodeURIComponent(token)}`);
    await ok.sync();
    expect(metric(await scrape(relay), 'relay_rejected_upgrades_total', { reason: 'token' })).toBe(6);
  });

  it('[R-72] origin and token are both required when both are configured', async () => {
    const relay = await harness.relay({ allowedOrigins: ['https://rooms.example'], token: 't' });
    expect((await harness.refusal(`${relay.url}/?token=t`, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await harness.refusal(`${relay.url}/?token=x`, { origin: 'https://rooms.example' })).status).toBe(401);
    await (await harness.client(`${relay.url}/?token=t`, { origin: 'https://rooms.example' })).sync();
  });

  it('[R-72] /healthz and /metrics stay reachable without the token (for monitoring)', async () => {
    const relay = await harness.relay({ token: 't', allowedOrigins: ['https://rooms.example'] });
    const res = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
    expect(res.status).toBe(200);
  });
});
