import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { startStockRelay, type StockRelay } from '../support/stock-relay';
import { call, openMember, uniqueRoom } from './support/room-client';

const userIds = (page: Page, roomId: string) => page.evaluate((id) => (window.client?.room(id)?.members ?? []).map((m) => m.userId).sort(), roomId);
const texts = (page: Page, roomId: string) => page.evaluate((id) => window.client?.room(id)?.messages.map((m) => m.text) ?? [], roomId);

let stock: StockRelay | undefined;
test.afterEach(async ({ browser }) => {
  for (const context of browser.contexts()) await context.close();
  stock?.stop();
  stock = undefined;
});

test('[R-16][R-51][R-14] three members in two rooms at once; leaving one room leaves the other untouched', async ({ browser }) => {
  const [main, group] = [uniqueRoom('main'), uniqueRoom('group')];
  const teacher = await openMember(browser, 'teacher');
  const ann = await openMember(browser, 'ann');
  const ben = await openMember(browser, 'ben');
  // Everyone in the main room; Ann and Ben also in their group room.
  for (const page of [teacher, ann, ben]) await call(page, 'enterRoom', { roomId: main });
  for (const page of [ann, ben]) await call(page, 'enterRoom', { roomId: group });
  for (const page of [teacher, ann, ben]) await expect.poll(() => userIds(page, main), { timeout: 20_000 }).toEqual(['ann', 'ben', 'teacher']);
  for (const page of [ann, ben]) await expect.poll(() => userIds(page, group), { timeout: 20_000 }).toEqual(['ann', 'ben']);

  // Each room has its own chat.
  await call(teacher, 'sendMessage', main, 'to everyone');
  await call(ann, 'sendMessage', group, 'just us');
  await expect.poll(() => texts(ben, main), { timeout: 10_000 }).toEqual(['to everyone']);
  await expect.poll(() => texts(ben, group), { timeout: 10_000 }).toEqual(['just us']);
  expect(await teacher.evaluate((id) => window.client?.room(id) ?? null, group)).toBeNull();

  // Ann leaves the group room only: she stays in the main room and keeps hearing it.
  await call(ann, 'leaveRoom', group);
  await expect.poll(() => userIds(ben, group), { timeout: 5_000 }).toEqual(['ben']);
  expect(await userIds(ben, main)).toEqual(['ann', 'ben', 'teacher']);
  await call(teacher, 'sendMessage', main, 'still here?');
  await expect.poll(() => texts(ann, main), { timeout: 10_000 }).toEqual(['to everyone', 'still here?']);
});

test('[R-70] against a stock y-webrtc server: enterRoom works, create/join say they cannot check', async ({ browser }) => {
  stock = await startStockRelay();
  const relayUrl = stock.url;
  const room = uniqueRoom('stock');
  const alice = await openMember(browser, 'alice', { relayUrl });
  const bob = await openMember(browser, 'bob', { relayUrl });

  expect(await call(alice, 'createRoom', { roomId: room })).toEqual({ error: 'PRESENCE_UNSUPPORTED' });
  expect(await call(alice, 'joinRoom', room)).toEqual({ error: 'PRESENCE_UNSUPPORTED' });
  expect(await call(alice, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  expect(await call(bob, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  await expect.poll(() => userIds(alice, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);
  await call(bob, 'sendMessage', room, 'works on a stock relay');
  await expect.poll(() => texts(alice, room), { timeout: 10_000 }).toEqual(['works on a stock relay']);
});
