// Renders static/icons/icon.svg to the PNG sizes the web app manifest lists, with the same
// headless Chromium the tests use. Run by hand after changing the SVG: node scripts/render-icons.mjs
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';

const svg = readFileSync(new URL('../static/icons/icon.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
const targets = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  // Maskable icons are cropped by the OS to any shape within the centre 80%: full-bleed
  // background, artwork shrunk into the safe zone.
  { file: 'icon-maskable-512.png', size: 512, maskable: true },
];
for (const { file, size, maskable } of targets) {
  await page.setViewportSize({ width: size, height: size });
  const inner = maskable ? `<div style="position:absolute;inset:0;background:#1f5a5f"></div><div style="position:absolute;inset:${size * 0.12}px">${svg}</div>` : svg;
  await page.setContent(`<body style="margin:0;overflow:hidden;position:relative;width:${size}px;height:${size}px">${inner}<style>svg{width:100%;height:100%;display:block}</style></body>`);
  await page.screenshot({ path: new URL(`../static/icons/${file}`, import.meta.url).pathname, omitBackground: !maskable });
}
await browser.close();
console.log('icons written to static/icons/');
