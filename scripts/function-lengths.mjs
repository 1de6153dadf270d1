#!/usr/bin/env node
// The longest functions and the largest files under a directory (default src/, tests excluded):
// the size limits of issue #16 (no function over 120 lines, no file over 450), measured with the
// oxc TypeScript parser (rolldown's `parseAst`, installed with vite; TypeScript 7 has no JS
// compiler API), so a brace in a string or a template literal cannot miscount.
// Usage: node scripts/function-lengths.mjs [dir] [--top N] [--max-function 120] [--max-file 450]
// Exits 1 when a limit given with --max-* is exceeded.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAst } from 'rolldown/parseAst';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : dflt;
};
const top = flag('--top', 10);
const maxFunction = flag('--max-function', undefined);
const maxFile = flag('--max-file', undefined);
const root = args[0] ?? 'src';

const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.ts$/.test(e.name) && !/\.(test|suite)\.ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
      files.push(p);
  }
};
walk(root);

const functions = [];
const sizes = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  sizes.push({ file: relative('.', file), lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) });
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (pos) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const visit = (node, parent) => {
    if (!node || typeof node.type !== 'string') return;
    if (/^(FunctionDeclaration|FunctionExpression|ArrowFunctionExpression)$/.test(node.type) && node.body) {
      // a method's or property's function is named by its key; a variable's by its declarator
      const holder = parent && (parent.key ?? parent.id);
      const name = node.id?.name ?? holder?.name ?? '(anonymous)';
      // count from the method/property start (its decorators and name), like an editor would
      const from =
        parent && /^(MethodDefinition|Property|PropertyDefinition)$/.test(parent.type) ? parent : node;
      const start = lineOf(from.start);
      functions.push({
        where: `${relative('.', file)}:${start}`,
        name,
        lines: lineOf(node.end - 1) - start + 1,
      });
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'parent') continue;
      if (Array.isArray(value)) for (const v of value) visit(v, node);
      else if (value && typeof value === 'object') visit(value, node);
    }
  };
  visit(parseAst(text, { lang: 'ts' }, file), undefined);
}
functions.sort((a, b) => b.lines - a.lines);
sizes.sort((a, b) => b.lines - a.lines);
console.log(`longest functions in ${root}/ (lines, declaration to closing brace):`);
for (const f of functions.slice(0, top))
  console.log(`  ${String(f.lines).padStart(5)}  ${f.name}  ${f.where}`);
console.log(`largest files in ${root}/ (lines):`);
for (const s of sizes.slice(0, top)) console.log(`  ${String(s.lines).padStart(5)}  ${s.file}`);
const over = [
  ...(maxFunction
    ? functions.filter((f) => f.lines > maxFunction).map((f) => `${f.where} ${f.name}: ${f.lines} lines`)
    : []),
  ...(maxFile ? sizes.filter((s) => s.lines > maxFile).map((s) => `${s.file}: ${s.lines} lines`) : []),
];
if (over.length > 0) {
  console.error(`over the limits:\n  ${over.join('\n  ')}`);
  process.exitCode = 1;
}
