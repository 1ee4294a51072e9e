// An ESLint plugin with one rule: no import reaches into another package's `src/` or `test/` by a
// relative path. A package is a workspace package (apps/*, packages/*) or a top-level tooling
// directory (e2e, bench, scripts, tools); what one needs from another comes through that package's
// `exports` (its name, e.g. `@apps/api`, `@kit/harness/oauth`), so its internals can move freely.
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The package a file belongs to and the file's path inside it, e.g. apps/api/src/server.ts →
 * { name: 'apps/api', inner: ['src', 'server.ts'] }; undefined outside every package.
 */
function packageOf(root, patterns, file) {
  const parts = relative(root, file).split(sep);
  for (const pattern of patterns) {
    const [dir, child] = pattern.split('/');
    if (parts[0] !== dir) continue;
    if (child === '*' && parts.length > 2) return { name: `${parts[0]}/${parts[1]}`, inner: parts.slice(2) };
    if (child === undefined && parts.length > 1) return { name: parts[0], inner: parts.slice(1) };
  }
  return undefined;
}

const INTERNAL = new Set(['src', 'test']);

const noForeignInternals = {
  meta: {
    type: 'problem',
    docs: { description: "Disallow relative imports into another package's src/ or test/ directory" },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          packages: { type: 'array', items: { type: 'string' } },
        },
        required: ['root', 'packages'],
        additionalProperties: false,
      },
    ],
    messages: {
      internal: "'{{source}}' reaches into {{target}}/{{dir}}/: import what {{target}} exports (by its package name) instead.",
    },
  },
  create(context) {
    const [{ root, packages }] = context.options;
    const from = packageOf(root, packages, context.filename);
    const check = (node) => {
      const source = node?.type === 'Literal' ? node.value : undefined;
      if (typeof source !== 'string' || !(source.startsWith('.') || isAbsolute(source))) return;
      const to = packageOf(root, packages, resolve(dirname(context.filename), source));
      if (!to || to.name === from?.name || !INTERNAL.has(to.inner[0])) return;
      context.report({ node, messageId: 'internal', data: { source, target: to.name, dir: to.inner[0] } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export default {
  meta: { name: 'workspace-boundaries' },
  rules: { 'no-foreign-internals': noForeignInternals },
};
