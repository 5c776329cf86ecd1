import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { call, openMember, uniqueRoom } from './support/room-client';
import { listenRelay, type ListeningRelay } from '../../signaling/listen';

/**
 * [R-50][R-52] The relay goes away mid-meeting and comes back: members see
 * reconnecting(network-lost) then connected(reconnected), and chat keeps flowing peer to peer
 * meanwhile. This test runs its own relay (a real one, in the test process) so it can stop it.
 */


const states = (page: Page) => page.evaluate(() => window.events.flatMap((e) => (e.event === 'stateChanged' ? [`${e.state}(${e.reason})`] : [])));
const texts = (page: Page, room: string) => page.evaluate((id) => window.client?.room(id)?.messages.map((m) => m.text) ?? [], room);

let relay: ListeningRelay | undefined;
test.afterEach(async ({ browser }) => {
  for (const context of browser.contexts()) await context.close();
  await relay?.close();
  relay = undefined;
});

test('[R-50][R-52] relay restarted mid-meeting: reconnecting then connected, and chat flows throughout', async ({ browser }) => {
  relay = await listenRelay({ port: 0 });
  const port = relay.port;
  const room = uniqueRoom('network');
  const alice = await openMember(browser, 'alice', { relayUrl: relay!.url });
  const bob = await openMember(browser, 'bob', { relayUrl: relay!.url });
  await call(alice, 'enterRoom', { roomId: room });
  await call(bob, 'enterRoom', { roomId: room });
  await expect.poll(() => bob.evaluate((id) => window.client?.room(id)?.members.length, room), { timeout: 20_000 }).toBe(2);
  await call(alice, 'sendMessage', room, 'before');
  await expect.poll(() => texts(bob, room), { timeout: 10_000 }).toEqual(['before']);

  await relay.close();
  for (const page of [alice, bob]) await expect.poll(() => states(page), { timeout: 10_000 }).toContain('reconnecting(network-lost)');
  // The peers are still connected to each other: chat does not need the relay.
  await call(bob, 'sendMessage', room, 'during');
  await expect.poll(() => texts(alice, room), { timeout: 10_000 }).toEqual(['before', 'during']);

  relay = await listenRelay({ port });
  for (const page of [alice, bob]) {
    await expect.poll(() => states(page), { timeout: 20_000 }).toEqual(['connecting(entering)', 'connected(entered)', 'reconnecting(network-lost)', 'connected(reconnected)']);
  }
  await call(alice, 'sendMessage', room, 'after');
  await expect.poll(() => texts(bob, room), { timeout: 10_000 }).toEqual(['before', 'during', 'after']);

  // A newcomer can join within seconds of the relay's return.
  const carol = await openMember(browser, 'carol', { relayUrl: relay!.url });
  await call(carol, 'enterRoom', { roomId: room });
  await expect.poll(() => texts(carol, room), { timeout: 20_000 }).toEqual(['before', 'during', 'after']);
});
