import { test, expect } from './support/test';

test('the lobby opens and shows that the relay answers', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Mesh Rooms', level: 1 })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText(/Relay connected/);
});

test('when the relay cannot be reached the lobby says so and offers to try again', async ({ page }) => {
  // The relay refuses the first connection (as a relay that is down would); the retry is let through.
  let attempts = 0;
  await page.routeWebSocket(/\/relay$/, (ws) => {
    attempts++;
    if (attempts === 1) void ws.close({ code: 1011, reason: 'down' });
    else ws.connectToServer();
  });
  await page.goto('/');
  await expect(page.getByRole('status')).toHaveText(/Relay unreachable/);
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('status')).toHaveText(/Relay connected/);
  expect(attempts).toBe(2);
});

test('an invite link opens the app and names the rooms it carries', async ({ page }) => {
  const response = await page.goto('/r/maths,physics');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'You are invited' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'You are invited' })).toContainText('maths, physics');
});

test('an unknown address shows a page-not-found page with a way back', async ({ page }) => {
  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to the lobby' }).click();
  await expect(page.getByRole('heading', { name: 'Mesh Rooms', level: 1 })).toBeVisible();
});
