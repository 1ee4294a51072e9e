/**
 * A request path as the OP logs it: an interaction's id (hashed at rest, db/secret-ids.ts) in
 * `/interaction/<uid>/…` and oidc-provider's resume route `/auth/<uid>` becomes `:uid`.
 */
export function withoutInteractionIds(path: string): string {
  return path.replace(/^\/(interaction|auth)\/[^/]+/, '/$1/:uid');
}
