/**
 * The script of the HTML report, run by the browser: it reads the report from the page's JSON block and draws the
 * counts, the charts (inline SVG) and the incident timeline, and filters the findings table (the filter is kept in
 * the address's #fragment, so a filtered view can be linked). Everything from the report is set as text, never as
 * markup. Kept as plain ES2020 in a string: it is sent as it is, with no build step and no network.
 */
export const HTML_CLIENT = String.raw`
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var STATUSES = ['investigate', 'monitor', 'error', 'skipped', 'ok'];
  var SVG = 'http://www.w3.org/2000/svg';

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function countBy(list, key) {
    var counts = {};
    list.forEach(function (item) { var k = key(item); counts[k] = (counts[k] || 0) + 1; });
    return counts;
  }
  var problems = report.findings.filter(function (f) { return (f.status === 'investigate' || f.status === 'monitor') && !f.suppressed; });

  // Counts by status, from the findings themselves.
  var summary = document.getElementById('summary');
  var byStatus = countBy(report.findings, function (f) { return f.status; });
  STATUSES.forEach(function (status) {
    var card = el('div', { class: 'card ' + status, 'data-status': status });
    card.appendChild(el('span', { class: 'count', 'data-count': status }, byStatus[status] || 0));
    card.appendChild(el('span', { class: 'label' }, status));
    summary.appendChild(card);
  });
  var suppressed = report.findings.filter(function (f) { return f.suppressed; }).length;
  if (suppressed) summary.appendChild(el('p', { class: 'note', 'data-count': 'suppressed' }, suppressed + ' suppressed (accepted in the config)'));

  /** A horizontal bar chart: one row per [label, value, class]. */
  function bars(id, title, rows) {
    var figure = document.getElementById(id);
    figure.appendChild(el('figcaption', {}, title));
    if (rows.length === 0) { figure.appendChild(el('p', { class: 'note' }, 'nothing to show')); return; }
    var max = Math.max.apply(null, rows.map(function (r) { return r[1]; })) || 1;
    var rowHeight = 22, labelWidth = 230, width = 560;
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + rows.length * rowHeight, role: 'img', 'aria-label': title });
    rows.forEach(function (row, i) {
      var y = i * rowHeight;
      var g = svg('g', { 'data-label': row[0], 'data-value': row[1] });
      g.appendChild(svg('text', { x: labelWidth - 6, y: y + 15, 'text-anchor': 'end' }, row[0].length > 34 ? row[0].slice(0, 33) + '…' : row[0]));
      g.appendChild(svg('rect', { x: labelWidth, y: y + 4, height: 14, width: Math.max(1, ((width - labelWidth - 50) * row[1]) / max), class: row[2] || 'bar' }));
      g.appendChild(svg('text', { x: width - 44, y: y + 15 }, row[1]));
      chart.appendChild(g);
    });
    figure.appendChild(chart);
  }
  bars('by-status', 'Findings by status', STATUSES.filter(function (s) { return byStatus[s]; }).map(function (s) { return [s, byStatus[s], s]; }));
  var byTarget = countBy(problems, function (f) { return f.target; });
  bars('by-target', 'Problems by target (monitor and investigate)', Object.keys(byTarget).sort(function (a, b) { return byTarget[b] - byTarget[a]; }).map(function (t) { return [t, byTarget[t]]; }));
  var byCheck = countBy(problems, function (f) { return f.checkId; });
  bars('by-check', 'Problems by check', Object.keys(byCheck).sort(function (a, b) { return byCheck[b] - byCheck[a]; }).slice(0, 15).map(function (c) { return [c, byCheck[c]]; }));

  // Counts over days: findings whose evidence has one row per day (the monthly log summary: failed logins,
  // connections, DROP and ALTER per day). One chart per column; one set per check and target.
  var days = document.getElementById('days');
  var seen = {};
  report.findings.forEach(function (f) {
    var rows = f.evidence;
    var key = f.checkId + '\u0000' + f.target;
    if (seen[key] || rows.length === 0 || !rows.every(function (r) { return /^\d{4}-\d{2}-\d{2}$/.test(String(r.day)); })) return;
    seen[key] = true;
    Object.keys(rows[0]).filter(function (c) { return c !== 'day' && typeof rows[0][c] === 'number'; }).forEach(function (column) {
      var figure = el('figure', { class: 'days', 'data-check': f.checkId, 'data-series': column });
      figure.appendChild(el('figcaption', {}, column + ' per day: ' + f.checkId + ' on ' + f.target));
      var max = Math.max.apply(null, rows.map(function (r) { return r[column]; })) || 1;
      var step = 540 / rows.length;
      var chart = svg('svg', { viewBox: '0 0 560 150', role: 'img', 'aria-label': column + ' per day' });
      rows.forEach(function (r, i) {
        var h = (110 * r[column]) / max;
        var g = svg('g', { 'data-day': r.day, 'data-value': r[column] });
        g.appendChild(svg('rect', { x: 10 + i * step, y: 120 - h, width: Math.max(2, step - 4), height: Math.max(h, 0.5), class: 'bar' }));
        g.appendChild(svg('title', {}, r.day + ': ' + r[column]));
        chart.appendChild(g);
      });
      chart.appendChild(svg('text', { x: 10, y: 140 }, rows[0].day));
      chart.appendChild(svg('text', { x: 550, y: 140, 'text-anchor': 'end' }, rows[rows.length - 1].day));
      figure.appendChild(chart);
      days.appendChild(figure);
    });
  });
  if (!days.querySelector('figure')) days.remove();

  // Activity incidents on one time axis: a row per incident, a mark per alert.
  var incidents = report.findings.filter(function (f) { return f.checkId === 'activity.incident'; });
  var timeline = document.getElementById('timeline');
  if (incidents.length === 0) timeline.remove();
  else {
    var times = [];
    incidents.forEach(function (f) { f.evidence.forEach(function (r) { var t = Date.parse(r.time); if (!isNaN(t)) times.push(t); }); });
    var from = Math.min.apply(null, times), to = Math.max.apply(null, times);
    var span = Math.max(to - from, 1000);
    var left = 230, width = 560, rowHeight = 26;
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + (incidents.length * rowHeight + 24), role: 'img', 'aria-label': 'incident timeline' });
    incidents.forEach(function (f, i) {
      var y = i * rowHeight;
      var g = svg('g', { class: 'incident ' + f.status, 'data-incident': f.resource, 'data-alerts': f.evidence.length });
      g.appendChild(svg('text', { x: left - 6, y: y + 17, 'text-anchor': 'end' }, f.resource.length > 34 ? f.resource.slice(0, 33) + '…' : f.resource));
      f.evidence.forEach(function (r) {
        var x = left + ((width - left - 12) * (Date.parse(r.time) - from)) / span;
        var mark = svg('circle', { cx: x, cy: y + 12, r: 5, class: 'sev-' + r.severity });
        mark.appendChild(svg('title', {}, r.time + ' ' + r.severity + ' ' + r.useCase + ': ' + r.act));
        g.appendChild(mark);
      });
      chart.appendChild(g);
    });
    var axisY = incidents.length * rowHeight + 16;
    chart.appendChild(svg('text', { x: left, y: axisY }, new Date(from).toISOString()));
    chart.appendChild(svg('text', { x: width - 4, y: axisY, 'text-anchor': 'end' }, new Date(to).toISOString()));
    timeline.appendChild(chart);
  }

  // Filters over the static table, kept in the #fragment: #status=investigate&target=prod&q=grant
  var table = document.getElementById('findings-table');
  var rows = Array.prototype.slice.call(table.querySelectorAll(':scope > tbody > tr'));
  var controls = { status: document.getElementById('filter-status'), target: document.getElementById('filter-target'), check: document.getElementById('filter-check'), q: document.getElementById('filter-text') };
  function fill(select, values) { values.forEach(function (v) { select.appendChild(el('option', { value: v }, v)); }); }
  fill(controls.status, STATUSES.filter(function (s) { return byStatus[s]; }));
  fill(controls.target, Object.keys(countBy(report.findings, function (f) { return f.target; })).sort());
  fill(controls.check, Object.keys(countBy(report.findings, function (f) { return f.checkId; })).sort());
  var hash = new URLSearchParams(location.hash.slice(1));
  Object.keys(controls).forEach(function (k) { if (hash.get(k)) controls[k].value = hash.get(k); });
  function apply() {
    var shown = 0;
    var q = controls.q.value.toLowerCase();
    rows.forEach(function (row) {
      var visible = (!controls.status.value || row.dataset.status === controls.status.value) && (!controls.target.value || row.dataset.target === controls.target.value) && (!controls.check.value || row.dataset.check === controls.check.value) && (!q || row.textContent.toLowerCase().indexOf(q) !== -1);
      row.hidden = !visible;
      if (visible) shown++;
    });
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' findings shown';
    document.getElementById('shown').setAttribute('data-shown', shown);
    var state = new URLSearchParams();
    Object.keys(controls).forEach(function (k) { if (controls[k].value) state.set(k, controls[k].value); });
    history.replaceState(null, '', state.toString() ? '#' + state.toString() : location.pathname);
  }
  Object.keys(controls).forEach(function (k) { controls[k].addEventListener('input', apply); });
  apply();
  document.body.setAttribute('data-ready', 'true');
})();
`;
