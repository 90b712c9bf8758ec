// circle-ledger's page: fills the server-rendered shell from the JSON API and keeps it
// current. No framework and no build step. Everything read from the ledger (sister
// circles' content included) enters the page as text nodes, never as markup.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const own = document.body.dataset.circle;
const names = new Map(); // circle id -> name, from /api/status
const utf8 = new TextEncoder();
const text8 = new TextDecoder();

// ---- small helpers -----------------------------------------------------------------

/** Builds an element: h('p', {class: 'x'}, 'text', child). Strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Calls the API; throws an Error carrying the status and the JSON error body. */
async function api(method, path, body) {
  const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (method !== 'GET') {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, opts);
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('application/json') ? await res.json() : await res.text();
  if (!res.ok) {
    const err = new Error((data && data.error) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

/**
 * A message from the node, in plain words for the page: the CLI's advice ("declare one
 * with `circle fund declare`") is dropped, since the page offers its own button, and
 * other quoted names lose their backticks.
 */
function plain(message) {
  return String(message || '')
    .replace(/[;,]\s*[^;,`]*`circle [^`]*`[^;,.]*/g, '')
    .replace(/\s*\(?(?:see |run |with )?`circle [^`]*`\)?/g, '')
    .replace(/`([^`]*)`/g, '“$1”')
    .replace(/\s+([.;,:])/g, '$1')
    .trim();
}

function toast(message) {
  const t = $('#toast');
  t.textContent = plain(message);
  t.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove('show'), 6000);
}

const short = (id) => (id || '').slice(0, 8);
const circleName = (id) => (id === own ? 'this circle' : names.get(id) || `circle ${short(id)}`);
const splitTags = (s) => (s || '').split(',').map((t) => t.trim()).filter(Boolean);
const plural = (n, one, many) => `${n} ${n === 1 ? one : many || one + 's'}`;
const tagList = (tags) => (tags && tags.length ? h('ul', { class: 'tags', 'aria-label': 'Tags' }, tags.map((t) => h('li', {}, t))) : null);

function ago(secs) {
  const m = Math.floor((Date.now() / 1000 - secs) / 60);
  if (m < 1) return 'just now';
  if (m < 60) return `${m} min ago`;
  if (m < 48 * 60) return `${Math.floor(m / 60)} h ago`;
  return `${Math.floor(m / 1440)} days ago`;
}

/** Runs `work` with the button disabled; shows a failure in `errorEl` (or a toast). */
async function busy(button, errorEl, work) {
  if (errorEl) errorEl.textContent = '';
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (e) {
    if (errorEl) errorEl.textContent = plain(e.message);
    else toast(e.message);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** A form whose submit calls `handler(form, data)`; the form resets when it succeeds. */
function onSubmit(id, handler) {
  const form = document.getElementById(id);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const button = ev.submitter || form.querySelector('button');
    busy(button, form.querySelector('.error'), async () => {
      const keep = await handler(form, new FormData(form));
      if (keep !== 'keep') form.reset();
    });
  });
}

function fill(list, items, render, empty) {
  const el = typeof list === 'string' ? $(list) : list;
  el.replaceChildren(...(items.length ? items.map(render) : [h('li', { class: 'none' }, empty)]));
}

// ---- status, protocol, sisters -----------------------------------------------------------

const ITEMS = [
  ['mutual_aid_fund', 'Mutual aid fund'],
  ['rapid_defense_pledge', 'Rapid defense pledge'],
  ['open_tactics', 'Open-source tactics'],
];

async function loadStatus() {
  const s = await api('GET', '/api/status');
  names.clear();
  names.set(s.circle_id, s.name);
  for (const f of s.following) if (f.name) names.set(f.circle_id, f.name);
  const days = Math.max(0, Math.floor((s.term_expires - Date.now() / 1000) / 86400));
  $('#net-status').textContent = `${plural(s.peers.length, 'peer')} connected · steward term ${s.term}, ${plural(days, 'day')} left`;
  renderProtocol(s.compliance, s);
  renderSisters(s);
  const from = $('#tactic-from');
  const chosen = from.value;
  from.replaceChildren(
    h('option', { value: '' }, 'All circles'),
    h('option', { value: s.circle_id }, `${s.name} (this circle)`),
    ...s.following.filter((f) => f.compliant).map((f) => h('option', { value: f.circle_id }, f.name || short(f.circle_id))),
  );
  from.value = chosen;
}

/** What the page says about a failing item: its own words, with a fix on the page. */
function itemReason(key, item, s, expired) {
  if (item.ok) return plain(item.reason);
  if (key === 'rapid_defense_pledge' && expired) {
    return `Steward term ${s.term} has expired, so the pledge no longer counts and nothing can be written. Start a new steward term below, then sign the pledge for it.`;
  }
  if (key === 'rapid_defense_pledge' && /not signed/.test(item.reason)) {
    return `The pledge is not signed for the current steward term (${s.term}). Sign it below.`;
  }
  if (key === 'mutual_aid_fund' && /no mutual aid fund/.test(item.reason)) {
    return 'No mutual aid fund is declared yet. Declare it below.';
  }
  return plain(item.reason);
}

function renderProtocol(c, s) {
  const expired = s.term_expires <= Date.now() / 1000;
  const summary = $('#protocol-summary');
  summary.textContent = c.compliant
    ? 'All three hold: sister circles replicate and relay this circle.'
    : 'Not federating: sister circles will not replicate or relay this circle until every item holds.';
  summary.className = `lead ${c.compliant ? 'ok' : 'bad'}`;
  $('#protocol-items').replaceChildren(...ITEMS.map(([key, label]) => {
    const item = c.items[key];
    return h('li', { class: item.ok ? 'ok' : 'bad' },
      h('span', { class: 'mark', 'aria-hidden': 'true' }, item.ok ? '✓' : '!'),
      h('span', {}, h('strong', {}, label), h('span', { class: 'sr' }, item.ok ? ': holds. ' : ': needs fixing. '),
        h('br'), h('span', { class: 'reason' }, itemReason(key, item, s, expired))));
  }));
  // While the term is expired every write is refused: the new term comes first.
  $('#fix-fund').hidden = expired || c.items.mutual_aid_fund.ok;
  $('#fix-term').hidden = !expired;
  $('#fix-pledge').hidden = expired || c.items.rapid_defense_pledge.ok;
  if (expired) {
    const when = new Date(s.term_expires * 1000).toLocaleDateString();
    $('#term-expired').textContent = `Steward term ${s.term} ended on ${when}. Nothing can be written to the ledger until a new term starts.`;
  }
}

function renderSisters(s) {
  $('#peer-count').textContent = `${plural(s.peers.length, 'peer')} connected now. ` +
    (s.following.length ? `Following ${plural(s.following.length, 'circle')}.` : 'Not following any circle yet.');
  fill('#sister-list', s.following, (f) => h('li', { class: 'tile sister' },
    h('h4', {}, f.name || `circle ${short(f.circle_id)}`),
    h('p', { class: 'meta' }, `${plural(f.changes, 'signed change')} · steward term ${f.term}`),
    h('p', { class: f.compliant ? 'lead ok small' : 'lead bad small' },
      f.compliant ? 'Keeps the protocol' : 'Does not keep the protocol: its content is not shown')), 'Share an invite, or paste one below.');
  $('#sister-list').querySelector('.none')?.classList.add('tile', 'empty');
}

// ---- fund, pledge ------------------------------------------------------------------------

async function loadFund() {
  const f = await api('GET', '/api/fund');
  $('#fund-about').textContent = f.declared ? f.description : '';
  $('#fund-about').hidden = !f.declared;
  // Before a fund exists there is no balance to show and no money to record.
  $('#fund-none').hidden = f.declared;
  $('#fund-body').hidden = !f.declared;
  const balances = Object.entries(f.balances || {});
  const negative = balances.filter(([, amount]) => String(amount).trim().startsWith('-'));
  $('#fund-balances').replaceChildren(...(balances.length
    ? balances.flatMap(([cur, amount]) => {
      const below = String(amount).trim().startsWith('-');
      return [h('dt', {}, cur), h('dd', { class: below ? 'negative' : null },
        h('span', { class: 'sr' }, below ? 'Warning, overdrawn: ' : ''), amount,
        below ? h('span', { class: 'flag', 'aria-hidden': 'true' }, '⚠ overdrawn') : null)];
    })
    : [h('dt', {}, 'Balance'), h('dd', {}, 'no entries yet')]));
  const warning = $('#fund-warning');
  warning.hidden = !negative.length;
  warning.textContent = negative.length
    ? `⚠ More money was paid out than came in: ${negative.map(([cur, amount]) => `${amount} ${cur}`).join(', ')}. Record the contributions that are missing, or check the disbursements.`
    : '';
  fill('#fund-entries', f.entries.slice(-4).reverse(), (e) => h('li', {},
    `${e.kind === 'disbursement' ? '−' : '+'}${e.amount} ${e.currency} `, h('span', { class: 'muted' }, e.memo)), 'No entries yet.');
}

onSubmit('fund-declare-form', async (_, d) => {
  await api('POST', '/api/fund/declare', { description: d.get('description') });
  toast('Fund declared.');
  await Promise.all([loadStatus(), loadFund()]);
});

$('#fund-declare-jump').addEventListener('click', () => {
  // With the term expired, the new term comes first (a declaration would be refused).
  const term = !$('#fix-term').hidden;
  const fix = term ? $('#fix-term') : $('#fix-fund');
  fix.open = true;
  fix.scrollIntoView({ block: 'center' });
  (term ? $('#rotate-days') : $('#fund-description')).focus();
});

onSubmit('rotate-form', async (_, d) => {
  const r = await api('POST', '/api/steward/rotate', { term_days: Number(d.get('term_days')) || 14 });
  toast(`Steward term ${r.term} started. Now sign the pledge for it.`);
  await loadStatus();
  for (const next of ['#fix-fund', '#fix-pledge']) if (!$(next).hidden) $(next).open = true;
  return 'keep';
});

onSubmit('pledge-form', async (_, d) => {
  await api('POST', '/api/pledge', { text: d.get('text') });
  toast('Pledge signed for this steward term.');
  await loadStatus();
  return 'keep';
});

onSubmit('fund-entry-form', async (form, d) => {
  const r = await api('POST', '/api/fund/entries', {
    // As typed: the amount rule lives in core, the same for the CLI and this page.
    amount: String(d.get('amount')).trim(),
    currency: String(d.get('currency')).toUpperCase().trim(),
    memo: d.get('memo'),
    disbursement: d.get('disbursement') === 'on',
  });
  toast(`Recorded ${r.kind} of ${r.amount} ${r.currency}.`);
  await loadFund();
});

// ---- actions --------------------------------------------------------------------------------

const actionTitles = new Map(); // entry id -> title, for retrospectives about an action

async function loadActions() {
  const list = await api('GET', '/api/actions');
  actionTitles.clear();
  for (const a of list) actionTitles.set(a.entry_id, a.title);
  fill('#action-list', list.slice().reverse().slice(0, 30), (a) => h('li', {},
    h('h4', {}, a.title),
    a.summary ? h('p', { class: 'summary' }, a.summary) : null,
    tagList(a.tags)), 'No actions logged yet.');
  // A retrospective may be about one of them (newest first, as people look for it).
  const select = $('#retro-action');
  const chosen = select.value;
  select.replaceChildren(h('option', { value: '' }, 'No particular action'),
    ...list.slice().reverse().map((a) => h('option', { value: a.entry_id }, a.title)));
  select.value = actionTitles.has(chosen) ? chosen : '';
}

onSubmit('action-form', async (_, d) => {
  await api('POST', '/api/actions', { title: d.get('title'), summary: d.get('summary'), tags: splitTags(d.get('tags')) });
  toast('Action logged.');
  await loadActions();
});

// ---- retrospectives -----------------------------------------------------------------------------

const dayText = (day) => new Date(day * 1000).toLocaleDateString(undefined, { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' });

async function loadRetros() {
  // Oldest first, as the API gives them: a circle's learning, in the order it happened.
  const list = await api('GET', '/api/retros');
  fill('#retro-list', list, (r) => h('li', {},
    h('h4', {}, r.title),
    h('p', { class: 'meta' }, `Recorded ${dayText(r.day)}`,
      r.action_id ? ` · about the action “${actionTitles.get(r.action_id) || short(r.action_id)}”` : ''),
    r.notes ? h('p', { class: 'summary body-text' }, r.notes) : null), 'No retrospectives yet: record the first after your next action.');
}

onSubmit('retro-form', async (_, d) => {
  await api('POST', '/api/retros', {
    title: d.get('title'), notes: d.get('notes'), action_id: d.get('action_id') || null,
  });
  toast('Retrospective recorded.');
  await loadRetros();
});

// ---- tactics ------------------------------------------------------------------------------------

const forked = new Set(); // CIRCLE_ID/TACTIC_ID of sisters' tactics this circle forked

async function loadTactics() {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData($('#tactic-filter'))) if (String(v).trim()) q.set(k, String(v).trim());
  const list = await api('GET', `/api/tactics${q.size ? `?${q}` : ''}`);
  forked.clear();
  for (const t of list) {
    if (t.circle_id === own && t.derived_from) forked.add(`${t.derived_from.circle_id}/${t.derived_from.tactic_id}`);
  }
  fill('#tactic-list', list, tacticTile, 'No tactics match.');
  $('#tactic-list').querySelector('.none')?.classList.add('tile', 'empty');
}

function tacticTile(t) {
  const mine = t.circle_id === own;
  const body = h('div', { class: 'body-text', hidden: true });
  const read = h('button', { type: 'button', class: 'button small secondary', 'aria-expanded': 'false', 'aria-label': `Read: ${t.title}` }, 'Read');
  read.addEventListener('click', () => busy(read, null, async () => {
    if (!body.hidden) {
      body.hidden = true;
      read.setAttribute('aria-expanded', 'false');
      return;
    }
    if (!body.textContent) body.textContent = (await api('GET', `/api/tactics/${t.circle_id}/${t.tactic_id}`)).body;
    body.hidden = false;
    read.setAttribute('aria-expanded', 'true');
  }));
  const buttons = h('div', { class: 'buttons' }, read);
  if (!mine && forked.has(`${t.circle_id}/${t.tactic_id}`)) {
    buttons.append(h('span', { class: 'forked' }, '✓ Forked into this circle'));
  } else if (!mine) {
    const forkButton = h('button', { type: 'button', class: 'button small', 'aria-label': `Fork into our ledger: ${t.title}` }, 'Fork into our ledger');
    forkButton.addEventListener('click', () => busy(forkButton, null, async () => {
      await api('POST', `/api/tactics/${t.circle_id}/${t.tactic_id}/fork`, {});
      toast(`“${t.title}” forked into this circle's ledger, lineage kept.`);
      await loadTactics();
    }));
    buttons.append(forkButton);
  }
  const from = t.derived_from;
  return h('li', { class: `tile ${mine ? 'own' : 'sister'}` },
    h('h4', {}, t.title),
    h('p', { class: 'meta' }, `${mine ? 'This circle' : circleName(t.circle_id)} · ${t.license}`),
    from ? h('p', { class: 'lineage' }, `Derived from ${circleName(from.circle_id)}`) : null,
    tagList(t.tags), buttons, body);
}

let filterTimer;
$('#tactic-filter').addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => loadTactics().catch((e) => toast(e.message)), 250);
});
$('#tactic-filter').addEventListener('submit', (ev) => ev.preventDefault());

onSubmit('tactic-form', async (_, d) => {
  await api('POST', '/api/tactics', {
    title: d.get('title'), body: d.get('body'), license: d.get('license'), tags: splitTags(d.get('tags')),
  });
  toast('Tactic published.');
  $('#tactic-new').open = false;
  await Promise.all([loadTactics(), loadStatus()]);
});

// ---- zines: the editor marks findings as you type -------------------------------------------------

const zine = { text: '', findings: [], title: [], seq: 0, timer: 0 };
const zineText = $('#zine-text');
const zineTitle = $('#zine-title');

/** Byte length of the longest common prefix of two strings. */
function samePrefixBytes(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return utf8.encode(a.slice(0, i)).length;
}

/** Paints `text` behind the textarea with each finding (byte offsets) marked. */
function paintMarks(text, findings) {
  const bytes = utf8.encode(text);
  const out = [];
  let pos = 0;
  for (const f of findings.slice().sort((x, y) => x.start - y.start)) {
    if (f.start < pos || f.end > bytes.length) continue;
    out.push(text8.decode(bytes.subarray(pos, f.start)));
    out.push(h('mark', { 'data-kind': f.kind }, text8.decode(bytes.subarray(f.start, f.end))));
    pos = f.end;
  }
  out.push(`${text8.decode(bytes.subarray(pos))}\n`);
  $('#zine-highlights').replaceChildren(...out);
}

function growEditor() {
  zineText.style.height = 'auto';
  zineText.style.height = `${zineText.scrollHeight + 2}px`;
}

function lineOf(text, byte) {
  return text8.decode(utf8.encode(text).subarray(0, byte)).split('\n').length;
}

/** Shows a check's result, if it still describes what is in the editor. */
function showFindings(text, title, result) {
  if (text !== zineText.value || title !== zineTitle.value) return;
  zine.text = text;
  zine.findings = result.findings || [];
  zine.title = result.title_findings || [];
  paintMarks(text, zine.findings);
  const n = zine.findings.length + zine.title.length;
  const state = $('#zine-state');
  const items = [
    ...zine.title.map((f) => findingItem(f, 'in the title', zineTitle)),
    ...zine.findings.map((f) => findingItem(f, `line ${lineOf(text, f.start)}`, zineText)),
  ];
  $('#zine-findings').replaceChildren(...items);
  zineTitle.setAttribute('aria-invalid', zine.title.length ? 'true' : 'false');
  if (n > 0) {
    state.textContent = `Publishing is blocked: ${plural(n, 'identifying detail')} found. Rewrite ${n === 1 ? 'it' : 'them'}, or publish with details redacted.`;
    state.className = 'zine-state blocked';
  } else if (text.trim()) {
    state.textContent = 'No identifying details found.';
    state.className = 'zine-state clear';
  } else {
    state.textContent = 'Findings show here as you write.';
    state.className = 'zine-state';
  }
  $('#zine-publish').disabled = n > 0 || !text.trim();
}

function findingItem(f, where, input) {
  const fix = h('button', { type: 'button', class: 'button small secondary', 'aria-label': `Redact ${f.kind.replace(/_/g, ' ')} “${f.text}”` }, 'Redact');
  fix.addEventListener('click', () => {
    const value = input.value;
    const bytes = utf8.encode(value);
    if (text8.decode(bytes.subarray(f.start, f.end)) !== f.text) return scheduleCheck();
    input.value = text8.decode(bytes.subarray(0, f.start)) + `[REDACTED:${f.kind}]` + text8.decode(bytes.subarray(f.end));
    input.focus();
    return onDraftInput();
  });
  return h('li', {}, h('span', { class: 'kind' }, f.kind.replace(/_/g, ' ')), h('q', {}, f.text), h('span', { class: 'where' }, where), fix);
}

function scheduleCheck() {
  clearTimeout(zine.timer);
  zine.timer = setTimeout(checkZine, 300);
}

async function checkZine() {
  const text = zineText.value;
  const title = zineTitle.value;
  const seq = ++zine.seq;
  if (!text.trim() && !title.trim()) return showFindings(text, title, {});
  try {
    const result = await api('POST', '/api/zines/check', { text, title });
    if (seq === zine.seq) showFindings(text, title, result);
  } catch (e) {
    if (seq === zine.seq) $('#zine-state').textContent = `Could not check the draft: ${e.message}`;
  }
  return undefined;
}

/** While a check is on its way, keep the marks that lie before the first edit. */
function onDraftInput() {
  const text = zineText.value;
  const unchanged = samePrefixBytes(zine.text, text);
  paintMarks(text, zine.findings.filter((f) => f.end <= unchanged));
  growEditor();
  $('#zine-publish').disabled = true;
  $('#zine-state').textContent = 'Checking…';
  $('#zine-state').className = 'zine-state';
  scheduleCheck();
}

zineText.addEventListener('input', onDraftInput);
window.addEventListener('resize', growEditor);
zineTitle.addEventListener('input', () => {
  $('#zine-publish').disabled = true;
  scheduleCheck();
});

async function publishZine(redact, button) {
  const error = $('#zine-form .error');
  const title = zineTitle.value.trim();
  const text = zineText.value;
  if (!title || !text.trim()) {
    error.textContent = 'A zine needs a title and a draft.';
    return;
  }
  await busy(button, error, async () => {
    try {
      const r = await api('POST', '/api/zines', { title, text, redact });
      toast(r.redacted ? `Zine published with ${plural(r.redacted, 'detail')} redacted.` : 'Zine published.');
      zineTitle.value = '';
      zineText.value = '';
      onDraftInput();
      await loadZines();
    } catch (e) {
      if (e.status === 422 && e.data) showFindings(text, zineTitle.value, e.data);
      throw e;
    }
  });
  if (button === $('#zine-publish')) button.disabled = zine.findings.length + zine.title.length > 0 || !zineText.value.trim();
}

$('#zine-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  publishZine(false, $('#zine-publish'));
});
$('#zine-publish-redacted').addEventListener('click', (ev) => publishZine(true, ev.currentTarget));

async function loadZines() {
  const list = await api('GET', '/api/zines');
  fill('#zine-list', list.slice().reverse(), (z) => {
    const base = `/api/zines/${z.circle_id}/${z.zine_id}/export`;
    const sections = [['', z.body], ['What worked', z.worked], ['What failed', z.failed], ['Open questions', z.questions]]
      .filter(([, t]) => t && t.trim());
    return h('li', { class: `tile ${z.circle_id === own ? 'own' : 'sister'}` },
      h('h4', {}, z.title),
      h('p', { class: 'meta' }, z.circle_id === own ? 'This circle' : circleName(z.circle_id)),
      h('details', {}, h('summary', {}, 'Read'),
        sections.map(([head, t]) => h('div', {}, head ? h('strong', {}, head) : null, h('p', { class: 'body-text' }, t)))),
      h('div', { class: 'buttons' },
        h('a', { class: 'button small secondary', href: `${base}?format=html`, target: '_blank', rel: 'noopener' }, 'Printable booklet'),
        h('a', { class: 'button small secondary', href: `${base}?format=markdown`, download: '' }, 'Markdown')));
  }, 'No zines yet.');
  $('#zine-list').querySelector('.none')?.classList.add('tile', 'empty');
}

// ---- task map ------------------------------------------------------------------------------------

async function loadTasks() {
  const tasks = await api('GET', '/api/tasks');
  const by = { open: [], claimed: [], closed: [] };
  for (const t of tasks) (by[t.status] || by.open).push(t);
  const unfinished = [...by.open, ...by.claimed];
  fill('#open-tasks', unfinished.slice(0, 6), (t) => h('li', {}, t.title,
    t.claimed_by ? h('span', { class: 'muted' }, ` — ${t.claimed_by}`) : null), 'Nothing unfinished.');
  if (unfinished.length > 6) $('#open-tasks').append(h('li', { class: 'muted' }, `and ${unfinished.length - 6} more`));
  fill('#tasks-open', by.open, taskItem, 'None.');
  fill('#tasks-claimed', by.claimed, taskItem, 'None.');
  fill('#tasks-closed', by.closed.slice().reverse(), taskItem, 'None yet.');
}

function taskItem(t) {
  const li = h('li', {}, h('p', { class: 'task-title' }, t.title));
  if (t.claimed_by && t.status !== 'open') li.append(h('p', { class: 'meta' }, `Claimed by ${t.claimed_by}`));
  if (t.status === 'closed') {
    li.append(h('p', { class: 'small' }, h('strong', {}, 'After action: '), t.note || ''));
    return li;
  }
  const buttons = h('div', { class: 'buttons' });
  if (t.status === 'open') {
    const claim = h('button', { type: 'button', class: 'button small secondary', 'aria-label': `Claim: ${t.title}` }, 'Claim');
    claim.addEventListener('click', () => busy(claim, null, async () => {
      await api('POST', `/api/tasks/${t.task_id}/claim`, {});
      await loadTasks();
    }));
    buttons.append(claim);
  }
  li.append(buttons);
  const noteId = `note-${t.task_id}`;
  const form = h('form', { class: 'stack' },
    h('label', { for: noteId }, 'After-action note'),
    h('textarea', { id: noteId, name: 'note', rows: '2', required: true }),
    h('p', { class: 'error', role: 'alert' }),
    h('button', { class: 'button small' }, 'Close task'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(ev.submitter, form.querySelector('.error'), async () => {
      await api('POST', `/api/tasks/${t.task_id}/close`, { note: new FormData(form).get('note') });
      toast('Task closed.');
      await loadTasks();
    });
  });
  li.append(h('details', {}, h('summary', {}, 'Close with a note'), form));
  return li;
}

onSubmit('task-form', async (_, d) => {
  await api('POST', '/api/tasks', { title: d.get('title') });
  await loadTasks();
});

// ---- alerts: the list, sending, and the live banner ------------------------------------------------

async function loadAlerts() {
  const list = await api('GET', '/api/alerts');
  fill('#alert-list', list.slice(0, 5), (a) => h('li', {},
    h('span', {}, a.text),
    h('p', { class: 'meta' }, `${a.own ? 'sent by this circle' : `from ${circleName(a.circle_id)}`} · ${ago(a.sent)}`)), 'No alerts.');
}

onSubmit('alert-form', async (_, d) => {
  const r = await api('POST', '/api/alerts', { text: d.get('text') });
  toast(r.delivered ? 'Alert sent to ' + (r.delivered_to || []).length + ' circle node(s).' : 'Alert kept here: it goes out to the first circle node that connects.');
  await loadAlerts();
});

function showBanner(a) {
  const banner = $('#alert-banner');
  banner.hidden = false;
  // Filled after it shows, so screen readers announce it.
  requestAnimationFrame(() => {
    $('#alert-banner-from').textContent = `from ${circleName(a.circle_id)} · ${ago(a.sent)}`;
    $('#alert-banner-text').textContent = a.text;
  });
}

$('#alert-dismiss').addEventListener('click', () => {
  $('#alert-banner').hidden = true;
});

function listen() {
  if (!window.EventSource) return;
  const live = $('#live');
  const events = new EventSource('/api/alerts/stream');
  events.addEventListener('open', () => {
    live.textContent = '● alerts live';
    live.classList.add('on');
    document.body.dataset.live = 'open';
    loadAlerts().catch(() => {});
  });
  events.addEventListener('error', () => {
    live.textContent = '○ reconnecting…';
    live.classList.remove('on');
    document.body.dataset.live = 'closed';
  });
  events.addEventListener('alert', (ev) => {
    let alert;
    try {
      alert = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!alert.own) showBanner(alert);
    loadAlerts().catch(() => {});
  });
  events.addEventListener('resync', () => loadAlerts().catch(() => {}));
}

// ---- sisters and the invite ------------------------------------------------------------------------

onSubmit('follow-form', async (_, d) => {
  const r = await api('POST', '/api/following', { invite: String(d.get('invite')).trim() });
  toast(r.synced ? `Following “${r.name}”.` : 'Following; its ledger syncs when one of its nodes is reachable.');
  await loadStatus();
  await Promise.all([loadTactics(), loadZines()]);
});

async function loadInvite() {
  const r = await api('GET', '/api/invite');
  $('#invite-code').textContent = r.invite;
}

$('#invite-print').addEventListener('click', () => window.print());
$('#invite-copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText($('#invite-code').textContent);
    toast('Invite code copied.');
  } catch {
    const range = document.createRange();
    range.selectNodeContents($('#invite-code'));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    toast('Select-all done: copy with Ctrl+C.');
  }
});

// ---- start -------------------------------------------------------------------------------------------

async function start() {
  const loads = [loadStatus(), loadFund(), loadActions(), loadTasks(), loadAlerts(), loadInvite()];
  const results = await Promise.allSettled(loads);
  // Names of sister circles come with the status, action titles with the actions; lists
  // that show them load after.
  results.push(...await Promise.allSettled([loadTactics(), loadZines(), loadRetros()]));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) toast(`Some of the page could not load: ${failed.reason.message}`);
  growEditor();
  document.body.dataset.ready = '1';
  listen();
}

start();
