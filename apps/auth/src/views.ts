import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

// src/ and dist/ both sit next to views/.
const VIEWS_DIR = fileURLToPath(new URL('../views/', import.meta.url));
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

// As Express's `view cache`: compiled once in production; read on every render elsewhere, so an
// edited view shows without a restart in development.
const CACHE_VIEWS = process.env.NODE_ENV === 'production';

/** Renders an EJS view from apps/auth/views (escaped by default; `<%-` only for trusted HTML). */
export async function renderView(name: string, locals: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(`${VIEWS_DIR}${name}.ejs`, locals, { cache: CACHE_VIEWS });
}
