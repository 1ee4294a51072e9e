import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { operatorPath, table, usageError, type Noun, type ParsedCommand } from '@apps/shared';
import { AuditQuery, type AuditFilter, type AuditRecord } from '../audit/audit-query.js';
import type { OperatorDeps } from './deps.js';
import { parseDuration, parseWhen } from './when.js';

const FILTER_OPTIONS = {
  type: { type: 'string' },
  actor: { type: 'string' },
  client: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

const FILTER_HELP = {
  type: 'event type, e.g. login.failure, grant.revoked',
  actor: 'customer id, or cli for operator commands',
  client: 'client_id',
  since: 'from (inclusive): ISO date/time or how long ago (24h, 7d)',
  until: 'until (exclusive): ISO date/time or how long ago',
};

function filterOf(options: ParsedCommand['options']): AuditFilter {
  const text = (name: string) => options[name] as string | undefined;
  return {
    type: text('type'),
    actor: text('actor'),
    clientId: text('client'),
    since: text('since') === undefined ? undefined : parseWhen(text('since')!, 'since'),
    until: text('until') === undefined ? undefined : parseWhen(text('until')!, 'until'),
  };
}

const line = (r: AuditRecord) => `${JSON.stringify(r)}\n`;

export const auditNoun: Noun<OperatorDeps> = {
  summary: 'the security audit log: query, export (NDJSON), prune',
  verbs: {
    query: {
      summary: 'the newest matching events, newest first',
      options: { ...FILTER_OPTIONS, limit: { type: 'string', default: '50' } },
      optionHelp: { ...FILTER_HELP, limit: 'at most this many events (default 50, at most 10000)' },
      async run({ options }, deps) {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw usageError('--limit: expected a whole number from 1 to 10000');
        return new AuditQuery(deps.database.db).latest(filterOf(options), limit);
      },
      text: (rows: AuditRecord[]) =>
        table(
          rows.map((r) => ({ ...r, detail: r.detail ? JSON.stringify(r.detail) : '' })),
          ['at', 'type', 'actor', 'clientId', 'ip', 'detail'],
        ),
    },
    export: {
      summary: 'every matching event as NDJSON, oldest first, to stdout or --out',
      options: { ...FILTER_OPTIONS, out: { type: 'string' } },
      optionHelp: { ...FILTER_HELP, out: 'write to this file instead of stdout' },
      async run({ options }, deps, io) {
        const filter = filterOf(options);
        const pages = new AuditQuery(deps.database.db).pages(filter);
        const out = options.out as string | undefined;
        let exported = 0;
        if (out === undefined) {
          for await (const page of pages) {
            io.stdout(page.map(line).join(''));
            exported += page.length;
          }
          return undefined;
        }
        const path = operatorPath(out);
        const file = createWriteStream(path, { flags: 'w' });
        try {
          for await (const page of pages) {
            if (!file.write(page.map(line).join(''))) await once(file, 'drain');
            exported += page.length;
          }
        } finally {
          file.end();
          await once(file, 'close');
        }
        return { exported, out: path };
      },
      text: (r: { exported: number; out: string }) => `${r.exported} event(s) written to ${r.out}`,
    },
    prune: {
      summary: 'delete events older than a retention period (see also AUDIT_RETENTION_DAYS)',
      options: { 'older-than': { type: 'string' } },
      optionHelp: { 'older-than': 'e.g. 90d (required)' },
      async run({ options }, deps) {
        const olderThan = options['older-than'] as string | undefined;
        if (olderThan === undefined) throw usageError('--older-than is required (e.g. --older-than 90d)');
        const before = Date.now() - parseDuration(olderThan, 'older-than');
        const deleted = await new AuditQuery(deps.database.db).prune(before);
        return { deleted, before: new Date(before).toISOString() };
      },
      text: (r: { deleted: number; before: string }) => `${r.deleted} event(s) before ${r.before} deleted`,
    },
  },
};
