// Drives the node's web page in Debian's headless Chromium, as a person would.
//
//   node web.mjs '{"a": "http://127.0.0.1:PORT", "a_url": "sign-in link", "b": "...",
//                  "b_token": "...", "b_invite": "...", "b_name": "...", "b_tactic": "...",
//                  "shots": "/tmp/dir"}'
//
// Node A's page, signed in with its link: A's steward term has expired and it has no
// fund; fix the protocol from the page (declare the fund, start a new term, sign the
// pledge), see a negative balance flagged, log an action, record two retrospectives about
// it and see them listed oldest first, publish a tactic, write a zine
// with a phone number (marked, publish refused), publish it redacted, print a long zine
// as a fold-and-staple booklet to PDF, follow B, fork B's tactic, then see an alert sent
// by B appear in the banner without reloading; on a phone, every section link in view.
// Screenshots and PDFs go to `shots`. Prints one JSON line on success; exits non-zero
// with the reason otherwise.
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
let imposed = null;
let signedIn = false;
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
  // The deliberate 422 below, and the 401 of the page opened without its token, are
  // logged by Chromium as failed loads, as is a browser's own favicon request to the
  // sign-in page; nothing else may fail.
  if (m.type() !== 'error') return;
  const where = m.location()?.url || '';
  const expected = m.text().includes('422') || (!signedIn && m.text().includes('401')) || where.endsWith('/favicon.ico');
  if (!expected) problems.push(`console: ${m.text()} (${where})`);
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
console.log(JSON.stringify({ ok: true, steps, imposed, shots: ['desktop.png', 'phone.png', 'phone-full.png', 'phone-nav.png'] }));

async function run() {
  step('the page needs its token: refused without, open after the sign-in link');
  const bare = await page.goto(`${cfg.a}/`);
  check(bare.status() === 401, `the page answers 401 without the token, not ${bare.status()}`);
  await page.goto(cfg.a_url);
  await page.waitForURL(`${cfg.a}/`);
  await page.locator('body[data-ready="1"]').waitFor();
  signedIn = true;
  check(!page.url().includes('token'), 'the token left the address bar');
  // Keyboard: the first Tab lands on the skip link.
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement?.textContent) === 'Skip to content', 'first Tab reaches the skip link');

  step('reasons in plain words, no fund figures before a fund exists');
  await page.locator('#protocol-summary.bad').waitFor();
  const words = await page.evaluate(() => document.body.innerText);
  check(!words.includes('`'), `no command-line backticks on the page: ${words}`);
  check(!/circle (fund|pledge|steward)/.test(words), 'no command lines in the reasons');
  check(await page.locator('#fund-none').isVisible(), 'the fund card offers to declare the fund');
  check(!(await page.locator('#fund-balances').isVisible()), 'no balance before a fund exists');
  check(!(await page.getByText('Record money in or out').isVisible()), 'no money to record before a fund exists');

  step('an expired term: no pledge form, a new term from the page instead');
  await page.locator('#protocol-items li.bad', { hasText: 'has expired' }).waitFor();
  check(!(await page.locator('#fix-pledge').isVisible()), 'the pledge form is hidden while the term is expired');
  check(await page.locator('#fix-term').isVisible(), 'the page offers a new steward term');
  check(!(await page.locator('#fix-fund').isVisible()), 'no fund form while every write would be refused');

  step('fix the protocol: start a new term, declare the fund, sign the pledge');
  // The fund card's button leads to what comes first: the new term.
  await page.getByRole('button', { name: 'Declare the fund' }).click();
  await page.getByLabel('Length of the new term, in days').fill('30');
  await page.getByRole('button', { name: 'Start the new term' }).click();
  await page.locator('#fix-term').waitFor({ state: 'hidden' });
  await page.locator('#fix-fund').waitFor();
  await page.getByRole('button', { name: 'Declare the fund' }).click();
  await page.getByLabel('What the fund is for').fill('Hardship fund for strikers');
  await page.getByRole('button', { name: 'Declare fund' }).click();
  await page.locator('#fix-fund').waitFor({ state: 'hidden' });
  await page.locator('#fund-body').waitFor();
  check(await page.locator('#fund-none').isHidden(), 'the declare button goes once the fund exists');
  await page.locator('#fix-pledge').waitFor();
  const sign = page.getByRole('button', { name: 'Sign the pledge' });
  if (!(await sign.isVisible())) await page.locator('#fix-pledge summary').click();
  await sign.click();
  await page.locator('#protocol-summary.ok').waitFor();

  step('draw facilitators by lot, verified from the ledger');
  await page.getByLabel(/Candidates, one per line/).fill('north table\nsouth table\nkitchen crew');
  await page.getByRole('button', { name: 'Draw', exact: true }).click();
  await page.locator('#draw-result', { hasText: 'verified' }).waitFor();
  const drawn = await page.locator('#draw-result').textContent();
  check(/Drawn: (north table|south table|kitchen crew) /.test(drawn), `one of the candidates: ${drawn}`);

  step('a negative balance is flagged');
  await page.route('**/api/fund', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({ declared: true, description: 'Hardship fund', entries: [], balances: { EUR: '-400.00' }, unreadable: 0 }),
  }));
  await page.reload();
  await page.locator('body[data-ready="1"]').waitFor();
  await page.locator('#fund-balances dd.negative', { hasText: 'overdrawn' }).waitFor();
  check(await page.locator('#fund-warning').isVisible(), 'a warning names the overdraft');
  await page.unroute('**/api/fund');
  await page.reload();
  await page.locator('body[data-ready="1"]').waitFor();
  check(await page.locator('#fund-balances dd.negative').count() === 0, 'the real fund is not overdrawn');

  step('log an action');
  await page.locator('#action-form').getByLabel('Title').fill('Rent strike meeting');
  await page.getByLabel('What happened').fill('Forty households came; we set a date.');
  await page.locator('#action-tags').fill('rent, housing');
  await page.getByRole('button', { name: 'Log action' }).click();
  await page.locator('#action-list li', { hasText: 'Rent strike meeting' }).waitFor();

  step('record two retrospectives from the page and see them listed, oldest first');
  check(await page.locator('#retro-list li.none').isVisible(), 'an empty list says there are none yet');
  await page.locator('#retro-title').fill('What the meeting taught us');
  await page.getByLabel('What we learned').fill('Start on time; bring chairs for the elders.');
  await page.getByLabel('About which action').selectOption({ label: 'Rent strike meeting' });
  await page.getByRole('button', { name: 'Record retrospective' }).click();
  await page.locator('#retro-list li', { hasText: 'What the meeting taught us' }).waitFor();
  await page.locator('#retro-title').fill('Leafleting in the rain');
  await page.getByLabel('What we learned').fill('Laminate the flyers.');
  await page.getByRole('button', { name: 'Record retrospective' }).click();
  await page.locator('#retro-list li', { hasText: 'Leafleting in the rain' }).waitFor();
  const retros = await page.locator('#retro-list li h4').allTextContents();
  check(JSON.stringify(retros) === JSON.stringify(['What the meeting taught us', 'Leafleting in the rain']), `retrospectives oldest first: ${retros}`);
  const first = await page.locator('#retro-list li').first().innerText();
  check(first.includes('Start on time') && first.includes('about the action “Rent strike meeting”') && first.includes('Recorded '), `the retrospective shows its notes, action and day: ${first}`);
  // Listed from the ledger, not from what the page just sent: still there after a reload.
  await page.reload();
  await page.locator('body[data-ready="1"]').waitFor();
  check(await page.locator('#retro-list li h4').count() === 2, 'both retrospectives are listed after a reload');

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

  step('a long zine, imposed for folding, printed to PDF');
  const long = ['# Supplies and kitchen', '',
    ...Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1}: we carried water, soup and blankets to the picket and kept the kitchen going through the whole cold night, with *songs* and **tea**.\n`),
    '## What worked', 'The kitchen rota.'].join('\n');
  const published = await page.evaluate(async (text) => {
    const r = await fetch('/api/zines', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Kitchen notes', text, redact: true }),
    });
    return r.json();
  }, long);
  check(published.zine_id, `the long zine is published: ${JSON.stringify(published)}`);
  const own = await page.evaluate(() => document.body.dataset.circle);
  const booklet = await context.newPage();
  await booklet.goto(`${cfg.a}/api/zines/${own}/${published.zine_id}/export?format=booklet`);
  const laid = await booklet.evaluate(() => ({
    pages: Number(document.body.dataset.pages),
    sides: document.querySelectorAll('.side').length,
    order: [...document.querySelectorAll('.page')].map((p) => Number(p.dataset.page)),
    overflowing: [...document.querySelectorAll('.page')].filter((p) => p.scrollHeight > p.clientHeight + 1).map((p) => p.dataset.page),
    heading: document.querySelector('h3')?.textContent,
    text: document.body.innerText,
  }));
  const n = laid.pages;
  const expected = [];
  for (let sheet = 0; sheet < n / 4; sheet++) expected.push(n - 2 * sheet, 1 + 2 * sheet, 2 + 2 * sheet, n - 1 - 2 * sheet);
  check(n >= 8 && n % 4 === 0, `a long zine takes several sheets: ${n} pages`);
  check(laid.sides === n / 2, `two pages to a side: ${laid.sides} sides for ${n} pages`);
  check(JSON.stringify(laid.order) === JSON.stringify(expected), `folding order ${laid.order} is not ${expected}`);
  check(laid.overflowing.length === 0, `text runs off pages ${laid.overflowing}`);
  check(laid.heading === 'Supplies and kitchen', `the heading is a heading: ${laid.heading}`);
  check(!laid.text.includes('# Supplies') && !laid.text.includes('**'), 'no Markdown left as text');
  await booklet.pdf({ path: join(cfg.shots, 'booklet.pdf'), preferCSSPageSize: true, printBackground: true });
  await booklet.goto(`${cfg.a}/api/zines/${own}/${published.zine_id}/export?format=html`);
  await booklet.pdf({ path: join(cfg.shots, 'flow.pdf'), preferCSSPageSize: true, printBackground: true });
  await booklet.close();
  imposed = { pages: n };

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
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${cfg.b_token}` },
      body: JSON.stringify({ text }),
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

  step('stewards: volunteer a key here, propose the next term with it, certified at once');
  await page.locator('body[data-stewards="1"]').waitFor();
  const before = await page.locator('#steward-summary').textContent();
  const term = Number(/Steward term (\d+)/.exec(before)[1]);
  await page.getByRole('button', { name: 'Volunteer as a steward of the next term' }).click();
  await page.locator('#candidate:not([hidden])').waitFor();
  const code = (await page.locator('#candidate-code').textContent()).trim();
  check(/^[0-9a-f]{64}-[0-9a-f]{8}$/.test(code), `a candidate code: ${code}`);
  if (!(await page.locator('#propose-form').isVisible())) await page.locator('#propose summary').click();
  await page.getByLabel(/Stewards of the next term/).fill(`self\n${code}`);
  await page.getByLabel(/Signatures needed/).fill('1');
  check(await page.locator('#retain-explained').isVisible(), 'the page explains what forgetting keeps and deletes');
  check(before.includes('Evidence is kept for ever'), `a new circle keeps everything: ${before}`);
  await page.getByLabel(/Keep evidence for how many terms/).fill('1');
  await page.getByRole('button', { name: 'Propose', exact: true }).click();
  await page.locator('#steward-summary', { hasText: `Steward term ${term + 1}:` }).waitFor();
  await page.locator('#steward-summary', { hasText: `Evidence is kept for 1 term (epoch 1 began at term ${term + 1})` }).waitFor();
  await page.locator('#device-keys', { hasText: 'holds 2 steward keys' }).waitFor();
  await page.locator('#steward-warnings li', { hasText: 'captures the circle' }).first().waitFor();
  check(await page.locator('#revoke-key option').count() === 2, 'both keys offered for revocation');

  step('stewards: the next term drawn by lottery among two volunteered codes');
  const codes = [];
  for (let i = 0; i < 2; i += 1) {
    // Wait for a code other than the one shown before the click: the first time that is
    // the code the step above named (a steward of this term now, never eligible again).
    const shown = i === 0 ? code : codes[i - 1];
    await page.getByRole('button', { name: 'Volunteer as a steward of the next term' }).click();
    await page.locator('#candidate-code', { hasNotText: shown }).waitFor();
    codes.push((await page.locator('#candidate-code').textContent()).trim());
  }
  check(codes[0] !== codes[1], 'two candidate codes');
  if (!(await page.locator('#propose-form').isVisible())) await page.locator('#propose summary').click();
  await page.getByLabel(/Stewards of the next term/).fill(codes.join('\n'));
  await page.getByLabel(/draw this many/).fill('1');
  await page.getByLabel(/Signatures needed/).fill('1');
  await page.getByRole('button', { name: 'Propose', exact: true }).click();
  await page.locator('#steward-summary', { hasText: `Steward term ${term + 2}: 1 steward,` }).waitFor();
  await page.locator('#device-keys', { hasText: 'holds 1 steward key' }).waitFor();
  step('sign the pledge again for the new term');
  await page.locator('#fix-pledge').waitFor();
  if (!(await page.getByRole('button', { name: 'Sign the pledge' }).isVisible())) await page.locator('#fix-pledge summary').click();
  await page.getByRole('button', { name: 'Sign the pledge' }).click();
  await page.locator('#protocol-summary.ok').waitFor();

  step('screenshots');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(cfg.shots, 'desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(cfg.shots, 'phone.png') });
  await page.screenshot({ path: join(cfg.shots, 'phone-full.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `no sideways scrolling on a phone (${overflow}px too wide)`);
  // Every section link in view on a phone: none cut off or hidden to the side.
  const nav = await page.evaluate(() => {
    const el = document.querySelector('.top nav');
    const links = [...el.querySelectorAll('a')].map((a) => {
      const r = a.getBoundingClientRect();
      return { text: a.textContent, left: r.left, right: r.right, width: r.width };
    });
    return { links, hidden: el.scrollWidth - el.clientWidth, width: window.innerWidth };
  });
  check(nav.hidden <= 0, `the section links scroll sideways by ${nav.hidden}px`);
  for (const l of nav.links) check(l.width > 0 && l.left >= 0 && l.right <= nav.width, `section link ${l.text} is out of view: ${JSON.stringify(l)}`);
  check(nav.links.length === 9, `all nine sections linked: ${nav.links.map((l) => l.text)}`);
  await page.locator('header.top').screenshot({ path: join(cfg.shots, 'phone-nav.png') });
}
