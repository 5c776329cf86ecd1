import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { startRelayProcess, type RelayProcess } from './support/relay-processes';
import { expectChat, memberIds, openFailoverMember, peerConnections, stateAt, states } from './support/failover-member';
import { call, uniqueRoom } from './support/room-client';
import { expectVideoPlaying, play, playerStates, publishCamera } from './support/media';

/**
 * Faults mid-meeting (issue 6), with a real relay process and real Chromium:
 * - the relay killed (SIGKILL) and started again on the same port, having forgotten every room;
 * - a member's tab crashing (its browser context closed, no unload).
 * What a person would notice: the meeting goes on, the room says reconnecting then connected,
 * a newcomer gets in, and a crashed member's tile goes away.
 */

const relays: RelayProcess[] = [];

test.afterEach(async ({ browser }) => {
  for (const context of browser.contexts()) await context.close();
  for (const relay of relays.splice(0)) await relay.stop();
});

const streamIds = (page: Page, roomId: string) => page.evaluate((id) => (window.client?.room(id)?.streams ?? []).map((s) => s.streamId).sort(), roomId);

test('[R-50][R-52][R-71] relay killed and restarted mid-meeting: chat and video flow throughout, reconnecting then connected, a newcomer joins within seconds', async ({ browser }) => {
  test.setTimeout(120_000);
  const relay = await startRelayProcess();
  relays.push(relay);
  const room = uniqueRoom('restart');
  const password = 'correct horse';
  const ann = await openFailoverMember(browser, 'ann', [relay.url], { media: true });
  const ben = await openFailoverMember(browser, 'ben', [relay.url], { media: true });
  expect(await call(ann, 'createRoom', { roomId: room }, { password })).toMatchObject({ state: 'connected' });
  expect(await call(ben, 'joinRoom', room, { password })).toMatchObject({ state: 'connected' });
  await expect.poll(() => memberIds(ben, room), { timeout: 20_000 }).toEqual(['ann', 'ben']);
  await publishCamera(ann, room, 'cam-ann');
  await play(ben, room, 'cam-ann');
  await expectVideoPlaying(ben, room, 'cam-ann');
  await call(ann, 'sendMessage', room, 'before');
  await expectChat([ann, ben], room, ['before']);

  await relay.kill();
  for (const page of [ann, ben]) await expect.poll(() => states(page, room), { timeout: 10_000 }).toContain('reconnecting(network-lost)');
  // Without the relay, the members are still connected to each other.
  await call(ben, 'sendMessage', room, 'during');
  await expectChat([ann, ben], room, ['before', 'during']);
  await expectVideoPlaying(ben, room, 'cam-ann');

  await relay.start();
  const backAt = Date.now();
  for (const page of [ann, ben]) {
    await expect.poll(() => states(page, room), { timeout: 15_000 }).toEqual(['connecting(entering)', 'connected(entered)', 'reconnecting(network-lost)', 'connected(reconnected)']);
  }
  const reconnectMs = await Promise.all([ann, ben].map(async (page) => (await stateAt(page, room, 'connected(reconnected)'))! - backAt));
  console.log(`members connected again ${reconnectMs.join(' ms, ')} ms after the relay was back`);

  // The restarted relay knew nothing, and the members entered the room there again with its
  // password verifier: a wrong password is still refused, the right one gets in.
  const cat = await openFailoverMember(browser, 'cat', [relay.url], { media: true });
  expect(await call(cat, 'joinRoom', room, { password: 'wrong' })).toEqual({ error: 'WRONG_PASSWORD' });
  const joinStartedAt = Date.now();
  expect(await call(cat, 'joinRoom', room, { password })).toMatchObject({ state: 'connected' });
  await expect.poll(() => memberIds(cat, room), { timeout: 20_000 }).toEqual(['ann', 'ben', 'cat']);
  console.log(`newcomer in and seeing both members ${Date.now() - joinStartedAt} ms after joining, ${Date.now() - backAt} ms after the relay was back`);
  expect(Date.now() - backAt).toBeLessThan(15_000);

  await call(ann, 'sendMessage', room, 'after');
  await expectChat([ann, ben, cat], room, ['before', 'during', 'after']);
  await expectVideoPlaying(ben, room, 'cam-ann');
  // Media signaling is back on the relay too: the newcomer plays Ann's camera.
  await play(cat, room, 'cam-ann');
  await expectVideoPlaying(cat, room, 'cam-ann');
});

test('[R-51][R-53] a member whose tab crashes: memberLeft(timeout) within 15 s, its streams removed, the peer connections to it released', async ({ browser }) => {
  test.setTimeout(90_000);
  const relay = await startRelayProcess();
  relays.push(relay);
  const room = uniqueRoom('crash-av');
  const names = ['ann', 'ben', 'cat'];
  const pages = await Promise.all(names.map((name) => openFailoverMember(browser, name, [relay.url], { media: true })));
  const [ann, ben, cat] = pages;
  for (const page of pages) await call(page, 'enterRoom', { roomId: room });
  for (const [i, page] of pages.entries()) await publishCamera(page, room, `cam-${names[i]}`);
  for (const page of pages) await expect.poll(() => streamIds(page, room).then((ids) => ids.length), { timeout: 20_000 }).toBe(2);
  for (const [i, page] of pages.entries()) {
    for (const [j, name] of names.entries()) if (i !== j) await play(page, room, `cam-${name}`);
  }
  for (const [page, streamId] of [[ann, 'cam-ben'], [cat, 'cam-ben'], [ann, 'cam-cat'], [cat, 'cam-ann']] as const) await expectVideoPlaying(page, room, streamId);
  // Per member: one data connection to each other member, its media lines carrying both ways.
  for (const page of [ann, cat]) await expect.poll(() => peerConnections(page), { timeout: 10_000 }).toEqual({ created: 2, open: 2 });

  const crashedAt = Date.now();
  // No beforeunload, no pagehide: the tab is simply gone.
  await ben.context().close();
  for (const page of [ann, cat]) {
    await expect.poll(() => memberIds(page, room), { timeout: 20_000, intervals: [250] }).toEqual(['ann', 'cat']);
    const seen = await page.evaluate(
      (id) => ({
        left: window.events.find((e) => e.event === 'memberLeft' && e.roomId === id),
        removed: window.events.find((e) => e.event === 'streamRemoved' && e.roomId === id),
      }),
      room,
    );
    expect(seen.left).toMatchObject({ reason: 'timeout', members: [expect.objectContaining({ userId: 'ben' })] });
    expect(seen.left!.at - crashedAt).toBeLessThan(15_000);
    expect(seen.removed).toMatchObject({ streamId: 'cam-ben', memberId: (seen.left as { members: { memberId: string }[] }).members[0].memberId });
    expect(await streamIds(page, room)).toHaveLength(1);
    expect((await playerStates(page, room, 'cam-ben')).at(-1)).toMatch(/^(stopped|failed)$/);
    // Its data connection with Ben, and the media on it, is closed; the other stays up.
    await expect.poll(() => peerConnections(page), { timeout: 15_000 }).toEqual({ created: 2, open: 1 });
    console.log(`crash seen after ${seen.left!.at - crashedAt} ms, stream removed after ${(seen.removed as { at: number }).at - crashedAt} ms`);
  }
  // The meeting goes on between the two left.
  await call(cat, 'sendMessage', room, 'still here');
  await expectChat([ann, cat], room, ['still here']);
  await expectVideoPlaying(ann, room, 'cam-cat');
  await expectVideoPlaying(cat, room, 'cam-ann');
});
