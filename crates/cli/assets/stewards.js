// circle-ledger's page, stewards and devices: the current term, handover proposals with
// who signed and who is missing, volunteering, proposing, approving, withdrawing and
// revoking. Uses app.js's helpers ($, h, api, onSubmit, toast, fill, plural, short).
'use strict';

async function loadStewards() {
  const [show, proposals] = await Promise.all([
    api('GET', '/api/steward'),
    api('GET', '/api/steward/proposals'),
  ]);
  const days = Math.floor((show.expires - Date.now() / 1000) / 86400);
  const left = days < 0 ? 'expired' : `${plural(days, 'day')} left`;
  $('#steward-summary').textContent =
    `Steward term ${show.term}: ${plural(show.stewards.length, 'steward')}, ` +
    `${show.threshold} must sign the next term · ${left}. ` +
    (show.retain_terms == null
      ? 'Evidence is kept for ever.'
      : `Evidence is kept for ${plural(show.retain_terms, 'term')} (epoch ${show.epoch} began at term ${show.epoch_first_term}).`);
  fill('#steward-warnings', show.warnings || [], (w) => h('li', { class: 'warning' }, `⚠ ${pageWords(w)}`), '');
  $('#steward-warnings').querySelector('.none')?.remove();
  $('#device-keys').textContent = show.keys_held_here
    ? `This device holds ${plural(show.keys_held_here, 'steward key')} of term ${show.term}: it writes.`
    : `This device holds no steward key of term ${show.term}: it reads only.`;
  $('#revoke-key').replaceChildren(...show.stewards.map((k) => h('option', { value: k }, `key ${short(k)}…`)));
  fill('#proposal-list', proposals, renderProposal, 'No proposal is open.');
  document.body.dataset.stewards = '1';
}

/** A warning for the page: its command hints, in brackets, give way to the forms here. */
function pageWords(w) {
  return plain(String(w).replace(/\s*\([^()]*`circle [^()]*\)/g, ''));
}

function renderProposal(p) {
  const open = p.state === 'open';
  const what = p.kind === 'revoke' ? `Revoke key ${short(p.revoked)}… (${p.reason})` : `Term ${p.term}`;
  return h('li', { class: 'tile proposal', 'data-proposal': p.proposal_id },
    h('p', {}, h('strong', {}, what), ` · proposal ${short(p.proposal_id)} · ${p.state}`),
    h('p', { class: 'small' }, `${p.signatures} of ${p.needed} signatures` +
      (p.missing.length ? `; missing: ${p.missing.map((k) => short(k)).join(', ')}` : '')),
    p.draw_id ? h('p', { class: 'small' }, `Stewards drawn by lottery: draw ${short(p.draw_id)} (check it under “Lottery”)`) : null,
    open ? h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'button small', onclick: () => act(p, 'approve') }, 'Approve'),
      h('button', { type: 'button', class: 'button small secondary', onclick: () => act(p, 'withdraw') }, 'Withdraw'))
      : null);
}

async function act(p, what) {
  try {
    const r = await api('POST', `/api/steward/proposals/${p.proposal_id}/${what}`);
    toast(r.term != null ? `Term ${r.term} is certified.`
      : what === 'approve' ? `Signed: ${r.signatures} of ${r.needed}.` : 'Proposal withdrawn.');
  } catch (e) {
    toast(plain(e.message));
  }
  await Promise.allSettled([loadStewards(), loadStatus()]);
}

onSubmit('propose-form', async (_, d) => {
  const named = String(d.get('stewards')).split(/\s+/).filter(Boolean);
  const threshold = d.get('threshold') ? Number(d.get('threshold')) : undefined;
  const draw = d.get('draw') ? Number(d.get('draw')) : undefined;
  // Drawn stewards: the codes are the lottery's candidates (`--draw SEATS --from ...`).
  const who = draw ? { draw, from: named } : { stewards: named };
  const retain = String(d.get('retain_terms') || '').trim();
  const r = await api('POST', '/api/steward/proposals', {
    ...who, threshold, term_days: Number(d.get('term_days')) || 14,
    ...(retain ? { retain_terms: retain } : {}),
  });
  toast(r.state === 'drawing'
    ? `Draw ${short(r.draw_id)} waits for ${plural(r.waiting_for.length, 'steward')} to reveal; their devices do it when they sync. Propose again then.`
    : r.term != null ? `Term ${r.term} is certified. Sign the pledge for it.`
      : `Proposed: ${r.signatures} of ${r.needed} signatures so far.`);
  await Promise.allSettled([loadStewards(), loadStatus()]);
  return r.state === 'drawing' ? 'keep' : undefined;
});

onSubmit('revoke-form', async (_, d) => {
  const r = await api('POST', '/api/steward/revoke', { key: d.get('key'), reason: d.get('reason') });
  toast(r.term != null ? `Term ${r.term} is certified without that key.`
    : `Revocation proposed: ${r.signatures} of ${r.needed} signatures; the other stewards must approve it.`);
  await loadStewards();
});

$('#volunteer').addEventListener('click', async () => {
  try {
    const r = await api('POST', '/api/steward/volunteer');
    $('#candidate-code').textContent = r.candidate;
    $('#candidate').hidden = false;
    toast('Candidate key made on this device. Give the code to a steward.');
  } catch (e) {
    toast(plain(e.message));
  }
});

onSubmit('draw-form', async (_, d) => {
  const from = String(d.get('from')).split('\n').map((x) => x.trim()).filter(Boolean);
  const r = await api('POST', '/api/lottery/draws', {
    seats: Number(d.get('seats')) || 1, from, purpose: String(d.get('purpose') || ''),
  });
  // Checked again from the ledger's transcript, as any node would.
  const v = await api('GET', `/api/lottery/draws/${r.draw_id}`);
  const result = $('#draw-result');
  result.hidden = false;
  result.textContent = r.chosen
    ? `Drawn: ${r.chosen.join(', ')} (draw ${short(r.draw_id)}, ${v.valid ? 'verified' : 'does NOT verify'})` +
      (r.single_steward ? '. One steward only: the draw is not protected against the drawer.' : '')
    : `Draw ${short(r.draw_id)} waits for the other stewards' devices to reveal.`;
  return 'keep';
});

loadStewards().catch((e) => toast(`Stewards could not load: ${e.message}`));
