import { createHash } from 'node:crypto';
import { PERCENTILES } from './buckets.js';
import { latencyText, percentText, type PerformanceReport } from './report.js';

// The API's look in plain CSS (the same palette as the OP's and the app's pages); no script.
const STYLE = `body{margin:0;background:#f8fafc;color:#0f172a;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:60rem;margin:4rem auto;background:#fff;border:1px solid #e2e8f0;border-radius:.75rem;padding:2rem;box-shadow:0 1px 2px rgb(0 0 0/.05)}
h1{font-size:1.5rem;font-weight:600;margin:0 0 .5rem}p{color:#475569;margin:.5rem 0}
table{border-collapse:collapse;width:100%;margin:1.5rem 0;font-variant-numeric:tabular-nums}
th,td{padding:.5rem .75rem;border-bottom:1px solid #e2e8f0;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{font-weight:600;color:#334155}
tr.partial td{color:#64748b;font-style:italic}a{color:#1d4ed8}small{color:#64748b}`;

/** The page's Content-Security-Policy: nothing but its own inline stylesheet, by hash. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The public performance page: one table, the definitions under it, a link to the JSON. */
export function performancePage(report: PerformanceReport, institutionName: string, jsonPath: string): string {
  const rows = report.months
    .map((m) => {
      const cells = [
        m.partial ? `${m.month} (in progress)` : m.month,
        m.requests.toLocaleString('en-US'),
        m.properResponses.toLocaleString('en-US'),
        percentText(m.properResponsePercent),
        ...PERCENTILES.map((p) => latencyText(m.latencyMs[`p${p}`], m.requests)),
      ];
      return `<tr${m.partial ? ' class="partial"' : ''}>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const d = report.definition;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(institutionName)}: data interface performance</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(institutionName)}: data interface performance</h1>
<p>How the FDX data interface for authorized third parties answered, per month: the share of proper responses and the response-time percentiles, for the last ${report.months.length - 1} full months and the current one.</p>
<table>
<thead><tr><th>Month (UTC)</th><th>Requests</th><th>Proper responses</th><th>Proper-response rate</th>${PERCENTILES.map((p) => `<th>p${p} latency</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p><strong>Proper response:</strong> ${escapeHtml(d.properResponse)}. <strong>Requests:</strong> ${escapeHtml(d.requests)}.</p>
<p><strong>Latency:</strong> ${escapeHtml(d.latency)}; bucket bounds ${escapeHtml(report.latencyBucketBoundsMs.join(', '))} ms. Rates are rounded down to 0.01 %.</p>
<p><small>Generated ${escapeHtml(report.generatedAt)}. Machine-readable: <a href="${escapeHtml(jsonPath)}">${escapeHtml(jsonPath)}</a>.</small></p>
</main>
</body>
</html>
`;
}
