import type { AuditEvent } from '../shared/audit.ts';
import type { VerifyReport } from './audit/verify.ts';

export interface TrailSummary {
  total: number;
  hours: { hour: string; success: number; denied: number; failure: number }[];
  actions: { action: string; success: number; denied: number; failure: number }[];
  actors: { actor: string; events: number; denied: number }[];
  denials: AuditEvent[];
}

/** Counts for the charts, from the query's event stream. */
export function summarize(events: Iterable<AuditEvent>): TrailSummary {
  const hours = new Map<string, { success: number; denied: number; failure: number }>();
  const actions = new Map<string, { success: number; denied: number; failure: number }>();
  const actors = new Map<string, { events: number; denied: number }>();
  const denials: AuditEvent[] = [];
  let total = 0;
  for (const event of events) {
    total += 1;
    const hour = `${event.time.slice(0, 13)}:00Z`;
    const zero = () => ({ success: 0, denied: 0, failure: 0 });
    (hours.get(hour) ?? hours.set(hour, zero()).get(hour)!)[event.outcome] += 1;
    (actions.get(event.action) ?? actions.set(event.action, zero()).get(event.action)!)[event.outcome] += 1;
    const actorKey = `${event.actor.kind}:${event.actor.id}`;
    const actor = actors.get(actorKey) ?? actors.set(actorKey, { events: 0, denied: 0 }).get(actorKey)!;
    actor.events += 1;
    if (event.outcome === 'denied') {
      actor.denied += 1;
      if (denials.length < 200) denials.push(event);
    }
  }
  return {
    total,
    hours: [...hours].map(([hour, counts]) => ({ hour, ...counts })).sort((a, b) => a.hour.localeCompare(b.hour)),
    actions: [...actions]
      .map(([action, counts]) => ({ action, ...counts }))
      .sort((a, b) => b.success + b.denied + b.failure - (a.success + a.denied + a.failure)),
    actors: [...actors]
      .map(([actor, counts]) => ({ actor, ...counts }))
      .sort((a, b) => b.events - a.events)
      .slice(0, 15),
    denials,
  };
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const COLORS = { success: '#2e7d32', denied: '#c62828', failure: '#ef6c00' } as const;
const OUTCOMES = ['success', 'denied', 'failure'] as const;

function stackedColumns(
  rows: { label: string; success: number; denied: number; failure: number }[],
  title: string,
): string {
  const width = 760;
  const height = 220;
  const max = Math.max(1, ...rows.map((row) => row.success + row.denied + row.failure));
  const slot = rows.length ? (width - 60) / rows.length : 0;
  const bars = rows
    .map((row, i) => {
      let y = height - 30;
      return OUTCOMES.map((outcome) => {
        const h = (row[outcome] / max) * (height - 50);
        y -= h;
        const barWidth = Math.max(1, Math.min(slot - 4, 48));
        return h > 0
          ? `<rect x="${(50 + i * slot + (slot - barWidth) / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[outcome]}"><title>${escapeHtml(row.label)} ${outcome}: ${row[outcome]}</title></rect>`
          : '';
      }).join('');
    })
    .join('');
  const labels =
    rows.length <= 24
      ? rows
          .map(
            (row, i) =>
              `<text x="${50 + i * slot + slot / 2}" y="${height - 12}" font-size="9" text-anchor="middle">${escapeHtml(row.label.slice(11, 16))}</text>`,
          )
          .join('')
      : '';
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="100%"><line x1="48" y1="${height - 30}" x2="${width}" y2="${height - 30}" stroke="#999"/><text x="44" y="24" font-size="10" text-anchor="end">${max}</text>${bars}${labels}</svg></figure>`;
}

function horizontalBars(
  rows: { label: string; success: number; denied: number; failure: number }[],
  title: string,
): string {
  const rowHeight = 22;
  const width = 760;
  const max = Math.max(1, ...rows.map((row) => row.success + row.denied + row.failure));
  const body = rows
    .map((row, i) => {
      let x = 220;
      const segments = OUTCOMES.map((outcome) => {
        const w = (row[outcome] / max) * (width - 280);
        const rect =
          w > 0
            ? `<rect x="${x.toFixed(1)}" y="${i * rowHeight + 4}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${COLORS[outcome]}"><title>${escapeHtml(row.label)} ${outcome}: ${row[outcome]}</title></rect>`
            : '';
        x += w;
        return rect;
      }).join('');
      return `<text x="214" y="${i * rowHeight + 15}" font-size="11" text-anchor="end">${escapeHtml(row.label)}</text>${segments}<text x="${x + 6}" y="${i * rowHeight + 15}" font-size="10">${row.success + row.denied + row.failure}</text>`;
    })
    .join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${Math.max(rowHeight, rows.length * rowHeight)}" width="100%">${body}</svg></figure>`;
}

/** A self-contained page (inline SVG, no scripts, no network) an auditor opens in any browser. */
export function renderReport(
  summary: TrailSummary,
  verification: VerifyReport,
  meta: { generatedAt: Date; bucket: string; from?: Date; to?: Date; unsealed?: number; includeUnsealed?: boolean },
): string {
  const window = `${meta.from?.toISOString() ?? 'the beginning'} – ${meta.to?.toISOString() ?? meta.generatedAt.toISOString()}`;
  const status = verification.ok
    ? `<p class="ok" id="verification">Intact: every hash, link and signature verified (${verification.regions.map((r) => `${escapeHtml(r.region)}: ${r.digests} digests, ${r.objects} objects`).join('; ') || 'no digests yet'}).</p>`
    : `<div class="bad" id="verification"><p>Not intact: ${verification.findings.length} finding(s).</p><ul>${verification.findings.map((f) => `<li><b>${f.kind}</b> <code>${escapeHtml(f.key)}</code> — ${escapeHtml(f.detail)}</li>`).join('')}</ul></div>`;
  const legend = OUTCOMES.map((outcome) => `<span><i style="background:${COLORS[outcome]}"></i>${outcome}</span>`).join(
    ' ',
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dgov audit report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:2rem auto;max-width:820px;color:#222}h1{font-size:1.4rem}figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
.ok{background:#e8f5e9;padding:.6rem;border-left:4px solid #2e7d32}.bad{background:#ffebee;padding:.6rem;border-left:4px solid #c62828}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.25rem .4rem;text-align:left}.legend i{display:inline-block;width:10px;height:10px;margin:0 .3rem 0 .8rem}</style></head>
<body><h1>dgov audit report</h1>
<p>Bucket <code>${escapeHtml(meta.bucket)}</code>, events from ${escapeHtml(window)}; generated ${meta.generatedAt.toISOString()}.</p>
${status}
<p><b id="total">${summary.total}</b> events, <b id="denials">${summary.actions.reduce((n, a) => n + a.denied, 0)}</b> denials, ${verification.pending.length} object(s) awaiting the next digest.</p>
<p id="sealed">${meta.includeUnsealed ? `Includes <b>${meta.unsealed ?? 0}</b> event(s) from objects no digest lists yet (unsealed: not yet provable).` : 'Only events from objects a digest lists (sealed); events awaiting the next digest are left out.'}</p>
<p class="legend">${legend}</p>
${stackedColumns(
  summary.hours.map((h) => ({ label: h.hour, ...h })),
  'Events per hour by outcome',
)}
${horizontalBars(
  summary.actions.slice(0, 20).map((a) => ({ label: a.action, ...a })),
  'Events by action and outcome',
)}
<h2>Top actors</h2><table id="actors"><tr><th>actor</th><th>events</th><th>denied</th></tr>${summary.actors.map((a) => `<tr><td>${escapeHtml(a.actor)}</td><td>${a.events}</td><td>${a.denied}</td></tr>`).join('')}</table>
<h2>Denials</h2>${summary.denials.length === 0 ? '<p>None in this window.</p>' : ''}<table id="denial-list"><tr><th>time</th><th>actor</th><th>action</th><th>resource</th></tr>${summary.denials.map((d) => `<tr><td>${escapeHtml(d.time)}</td><td>${escapeHtml(`${d.actor.kind}:${d.actor.id}`)}</td><td>${escapeHtml(d.action)}</td><td>${escapeHtml(d.resource)}</td></tr>`).join('')}</table>
</body></html>
`;
}
