/**
 * The viewer's entry module: `/dashboards` lists the dashboards, `/d/<uid>[/<slug>]` shows one
 * (./dashboard.js). A failure to load shows its message on the page.
 */
import { showDashboard } from './dashboard.js';
import { h } from './dom.js';

const toolbar = document.getElementById('toolbar');
const content = document.getElementById('content');

async function showList() {
  document.title = 'Dashboards - Samokoder';
  toolbar.replaceChildren(h('nav', { class: 'crumbs' }, h('span', { class: 'title' }, 'Dashboards')));
  const res = await fetch('/api/search');
  const list = await res.json();
  content.replaceChildren(
    h(
      'ul',
      { class: 'dashboard-list' },
      list.map((d) => h('li', {}, h('a', { href: d.url }, d.title), d.tags.map((t) => h('span', { class: 'tag' }, t)))),
    ),
  );
  document.body.dataset.state = 'ready';
}

const match = /^\/d\/([^/]+)/.exec(location.pathname);
(match ? showDashboard(content, toolbar, decodeURIComponent(match[1])) : showList()).catch((err) => {
  content.replaceChildren(h('div', { class: 'message page-error' }, `Could not load: ${err.message}`));
  document.body.dataset.state = 'error';
});
