import type { Database } from '@apps/shared';

export interface SessionTable {
  id_hash: string;
  data: string;
  expires_at: number;
  created_at: number;
}

export interface AppSchema {
  app_sessions: SessionTable;
}

export type AppDatabase = Database<AppSchema>;
