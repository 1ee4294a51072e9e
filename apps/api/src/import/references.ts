import type { Kysely } from 'kysely';
import type { ApiSchema } from '../db/schema.js';

type Parent = 'customer' | 'account';

/**
 * Which customers and accounts a record may point at: those already in the store
 * and those accepted earlier in this import. Store lookups are remembered both ways, so a
 * million transactions of one account cost one query. `fork()` gives a scratch view for
 * `--strict`'s validation pass, whose own additions vanish if the file is rejected.
 */
export class References {
  private readonly added: Record<Parent, Set<string>> = { customer: new Set(), account: new Set() };

  constructor(
    private readonly db: Kysely<ApiSchema>,
    private readonly parent?: References,
    private readonly store: { present: Record<Parent, Set<string>>; absent: Record<Parent, Set<string>> } = {
      present: { customer: new Set(), account: new Set() },
      absent: { customer: new Set(), account: new Set() },
    },
  ) {}

  fork(): References {
    return new References(this.db, this, this.store);
  }

  add(kind: Parent, id: string): void {
    this.added[kind].add(id);
  }

  private inInput(kind: Parent, id: string): boolean {
    return this.added[kind].has(id) || (this.parent?.inInput(kind, id) ?? false);
  }

  async exists(kind: Parent, id: string): Promise<boolean> {
    if (this.inInput(kind, id) || this.store.present[kind].has(id)) return true;
    if (this.store.absent[kind].has(id)) return false;
    const row = await this.db.selectFrom(kind).select('id').where('id', '=', id).executeTakeFirst();
    this.store[row ? 'present' : 'absent'][kind].add(id);
    return row !== undefined;
  }
}
