// The service's front page: the elections it hosts (`GET /api/v1/elections`), each linking to
// its own pages under `/e/{election}/` (booth, check, observer, results).

import { $, api, describe, el, fill, frame, t } from './common.js';

frame('elections.title', '/');

async function start() {
  $('status').textContent = t('loading');
  try {
    const list = await api('/api/v1/elections');
    $('status').textContent = list.length ? '' : t('elections.none');
    fill($('elections'), list.map((e) => el('li', {},
      e.status === 'ok'
        ? el('a', { href: `/e/${encodeURIComponent(e.id)}/`, text: e.id })
        : el('span', { text: e.id }),
      ' — ',
      e.status === 'ok' ? t(`election.phase.${e.phase}`) : t('elections.failed'),
      el('br'),
      el('small', { text: t('elections.board', { origin: e.origin }) }))));
  } catch (e) {
    $('status').textContent = describe(e);
  }
}

start();
