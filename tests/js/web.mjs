// Drives the node's web page in Debian's headless Chromium, as a person would.
//
//   node web.mjs '{"a": "http://127.0.0.1:PORT", "b": "...", "b_invite": "...",
//                  "b_name": "...", "b_tactic": "...", "shots": "/tmp/dir"}'
//
// Node A's page: fix the protocol, log an action, publish a tactic, write a zine with a
// phone number (marked, publish refused), publish it redacted, follow B, fork B's tactic,
// then see an alert sent by B appear in the banner without reloading. Screenshots go to
// `shots`. Prints one JSON line on success; exits non-zero with the reason otherwise.
// Every wait is bounded; only the two 127.0.0.1 pages are visited.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const WAIT = 30_000;
const watchdog = setTimeout(() => {
  console.error('web.mjs: gave up after 240 s');
  process.exit(3);
}, 240_000);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const steps = [];
const step = (name) => {
  steps.push(name);
  console.error(`web.mjs: ${name}`);
};
function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const profile = mkdtempSync(join(tmpdir(), 'circle-web-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1280, height: 900 },
  timeout: WAIT,
});
context.setDefaultTimeout(WAIT);
const page = context.pages()[0] || (await context.newPage());
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => {
  // The deliberate 422 below is logged by Chromium as a failed load; nothing else may fail.
  if (m.type() === 'error' && !m.text().includes('422')) problems.push(`console: ${m.text()}`);
});

let failed = null;
try {
  await run();
} catch (e) {
  failed = e;
  await page.screenshot({ path: join(cfg.shots, 'failure.png'), fullPage: true }).catch(() => {});
}
await context.close().catch(() => {});
rmSync(profile, { recursive: true, force: true });
clearTimeout(watchdog);
if (failed) {
  console.error(`web.mjs failed after [${steps.join(', ')}]: ${failed.stack || failed}`);
  process.exit(1);
}
if (problems.length) {
  console.error(`web.mjs: the page reported problems: ${problems.join(' | ')}`);
  process.exit(1);
}
console.log(JSON.stringify({ ok: true, steps, shots: ['desktop.png', 'phone.png', 'phone-full.png'] }));

async function run() {
  step('open the page');
  await page.goto(`${cfg.a}/`);
  await page.locator('body[data-ready="1"]').waitFor();
  // Keyboard: the first Tab lands on the skip link.
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement?.textContent) === 'Skip to content', 'first Tab reaches the skip link');

  step('fix the protocol: declare the fund, sign the pledge');
  await page.locator('#protocol-summary.bad').waitFor();
  await page.locator('#fix-fund summary').click();
  await page.getByLabel('What the fund is for').fill('Hardship fund for strikers');
  await page.getByRole('button', { name: 'Declare fund' }).click();
  await page.locator('#fix-fund').waitFor({ state: 'hidden' });
  await page.locator('#fix-pledge summary').click();
  await page.getByRole('button', { name: 'Sign the pledge' }).click();
  await page.locator('#protocol-summary.ok').waitFor();

  step('log an action');
  await page.locator('#action-form').getByLabel('Title').fill('Rent strike meeting');
  await page.getByLabel('What happened').fill('Forty households came; we set a date.');
  await page.locator('#action-tags').fill('rent, housing');
  await page.getByRole('button', { name: 'Log action' }).click();
  await page.locator('#action-list li', { hasText: 'Rent strike meeting' }).waitFor();

  step('publish a tactic');
  await page.locator('#tactic-new summary').click();
  await page.locator('#tactic-title').fill('Door-knocking rota');
  await page.getByLabel('How to do it').fill('Pairs knock on every door in the block, twice a week.');
  await page.locator('#tactic-tags').fill('housing');
  await page.getByRole('button', { name: 'Publish tactic' }).click();
  await page.locator('#tactic-list li.own', { hasText: 'Door-knocking rota' }).waitFor();

  step('write a zine with a phone number: marked, and publishing refused');
  const phone = '0612 345 678';
  await page.locator('#zine-title').fill('The long night');
  await page.locator('#zine-text').click();
  await page.locator('#zine-text').pressSequentially(
    `We held the line until dawn. Call the rota on ${phone} for shifts.\n\n## What worked\nSoup and songs.`,
    { delay: 5 },
  );
  const mark = page.locator('#zine-highlights mark[data-kind="phone"]');
  await mark.waitFor();
  check(await mark.textContent() === phone, 'the phone number is the marked text');
  await page.locator('#zine-state.blocked').waitFor();
  check(await page.locator('#zine-publish').isDisabled(), 'the publish button refuses while findings remain');
  await page.locator('#zine-findings li', { hasText: phone }).waitFor();
  // The server refuses too, whatever the page does.
  const refused = await page.evaluate(async (text) => {
    const r = await fetch('/api/zines', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'The long night', text }),
    });
    return { status: r.status, body: await r.json() };
  }, await page.locator('#zine-text').inputValue());
  check(refused.status === 422 && refused.body.findings.some((f) => f.kind === 'phone'), `server refuses with 422: ${JSON.stringify(refused)}`);

  step('publish it redacted and see it listed');
  await page.getByRole('button', { name: 'Publish with details redacted' }).click();
  const zine = page.locator('#zine-list li', { hasText: 'The long night' });
  await zine.waitFor();
  await zine.locator('summary', { hasText: 'Read' }).click();
  const body = await zine.locator('.body-text').first().textContent();
  check(body.includes('[REDACTED:phone]') && !body.includes(phone), `the zine is redacted: ${body}`);
  check(await page.locator('#zine-text').inputValue() === '', 'the editor is cleared after publishing');

  step('follow the sister circle B by its invite');
  await page.getByLabel('Follow a circle with its invite code').fill(cfg.b_invite);
  await page.getByRole('button', { name: 'Follow', exact: true }).click();
  await page.locator('#sister-list li', { hasText: cfg.b_name }).waitFor({ timeout: 60_000 });

  step("fork B's tactic");
  const sisterTactic = page.locator('#tactic-list li.sister', { hasText: cfg.b_tactic });
  await sisterTactic.waitFor();
  await sisterTactic.getByRole('button', { name: /^Fork into our ledger/ }).click();
  await page.locator('#tactic-list li.own', { hasText: cfg.b_tactic })
    .filter({ has: page.locator('.lineage', { hasText: `Derived from ${cfg.b_name}` }) }).waitFor();

  step('an alert from B appears in the banner, live');
  await page.locator('body[data-live="open"]').waitFor();
  await page.evaluate(() => { window.notReloaded = true; });
  let shown = false;
  for (let attempt = 1; attempt <= 8 && !shown; attempt++) {
    const text = `Eviction on Elm Road at 8, come now (call ${attempt})`;
    const r = await fetch(`${cfg.b}/api/alerts`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }),
    });
    if (r.status !== 201) {
      // B has no peer in the alert topic yet: wait for gossip to meet A.
      await sleep(1000);
      continue;
    }
    shown = await page.locator('#alert-banner-text', { hasText: 'Eviction on Elm Road' })
      .waitFor({ timeout: 10_000 }).then(() => true, () => false);
  }
  check(shown, 'the alert banner showed the alert from B');
  check(await page.locator('#alert-banner').isVisible(), 'the banner is visible');
  check(await page.evaluate(() => window.notReloaded === true), 'the page was not reloaded');
  await page.locator('#alert-list li', { hasText: 'Eviction on Elm Road' }).first().waitFor();

  step('screenshots');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(cfg.shots, 'desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(cfg.shots, 'phone.png') });
  await page.screenshot({ path: join(cfg.shots, 'phone-full.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `no sideways scrolling on a phone (${overflow}px too wide)`);
}
