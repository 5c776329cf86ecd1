/** English and 简体中文: picked from the browser, switchable, remembered (issue 5, SPEC §5). */
import { test, expect } from './support/test';
import { openPerson } from './support/app';

test('a Chinese browser gets 简体中文; switching to English and back is remembered', async ({ browser }) => {
  const page = await openPerson(browser, '/', 'zh-CN');
  await expect(page.getByRole('heading', { name: '加入房间' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByLabel('你的名字')).toBeVisible();

  await page.getByRole('combobox', { name: '语言' }).selectOption('en');
  await expect(page.getByRole('heading', { name: 'Join a room' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Join a room' })).toBeVisible();

  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await expect(page.getByRole('heading', { name: '加入房间' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText(/中继/);
});

test('an English browser gets English', async ({ browser }) => {
  const page = await openPerson(browser, '/', 'en-GB');
  await expect(page.getByRole('heading', { name: 'Join a room' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
});
