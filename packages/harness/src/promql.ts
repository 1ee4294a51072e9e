/** PromQL words that are not metric names: operators, modifiers, literals. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/** Modifiers followed by a list of label names in parentheses. */
const LABEL_LISTS = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;

/**
 * The metric names a PromQL expression (or a Grafana query) selects, in order of appearance, each
 * once: what it would read from a scrape. String literals, label matchers (`{…}`), ranges and
 * subqueries (`[…]`), grouping label lists, Grafana variables (`$__rate_interval`, `${var}`),
 * numbers and durations are not names; an identifier followed by `(` is a function or an
 * aggregation. A `{__name__="…"}` selector is not followed (not used by our rules).
 */
export function promqlRefs(expr: string): string[] {
  const bare = expr
    .replace(/#[^\n]*/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\$\{[^}]*\}|\$[a-zA-Z_]\w*/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(LABEL_LISTS, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g)) {
    const name = match[0];
    if (!KEYWORDS.has(name.toLowerCase()) && !names.includes(name)) names.push(name);
  }
  return names;
}
