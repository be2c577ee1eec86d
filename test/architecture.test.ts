// docs/architecture.md kept true by the code: every module of src/ is in exactly one layer of its
// table, every import between modules runs to a lower layer, no file reaches itself through a
// cycle, nothing imports a library's private files, and every path the doc names exists.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../src/monitoring/paths.ts';

const SRC = join(REPO_ROOT, 'src');
const doc = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : tsFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a TypeScript file imports: static, type-only, re-exports and dynamic `import()`. */
function importsOf(text: string): string[] {
  const found = [...text.matchAll(/^\s*(?:import|export)\s[^'"`;]*?from\s+'([^']+)'/gm), ...text.matchAll(/^\s*import\s+'([^']+)'/gm), ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)];
  return found.map((m) => m[1] as string);
}

/** The module of a file of src/: its top-level folder, or the file itself. */
const moduleOf = (file: string) => relative(SRC, file).split('/')[0] as string;

/** Layer number of each module, from the doc's table `| N. name | `a`, `b` |`. */
function layers(): Map<string, number> {
  const result = new Map<string, number>();
  for (const row of doc.matchAll(/^\| (\d+)\. [^|]+\| ([^|]+) \|$/gm)) {
    for (const name of (row[2] as string).matchAll(/`([^`]+)`/g)) {
      assert.ok(!result.has(name[1] as string), `${name[1]} is in two layers`);
      result.set(name[1] as string, Number(row[1]));
    }
  }
  return result;
}

const files = tsFiles(SRC);
/** Local imports of each src file, as absolute paths. */
const graph = new Map(files.map((f) => [f, importsOf(readFileSync(f, 'utf8')).filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(f), s)))]));

test('the import scanner sees static, type-only, re-exported and dynamic imports', () => {
  const text = "import a from './a.ts';\nimport type { B } from '../b.ts';\nexport { c } from './c.ts';\nimport 'dotenv/config';\nconst d = await import('./d.ts');\nimport {\n  e,\n  f,\n} from './e.ts';\n";
  assert.deepEqual(importsOf(text).sort(), ['../b.ts', './a.ts', './c.ts', './d.ts', './e.ts', 'dotenv/config']);
});

test('every module of src/ is in exactly one layer of docs/architecture.md, and every layer entry exists', () => {
  const table = layers();
  const modules = new Set(files.map(moduleOf));
  assert.deepEqual([...modules].filter((m) => !table.has(m)).sort(), [], 'modules missing from the layer table');
  assert.deepEqual([...table.keys()].filter((m) => !modules.has(m)).sort(), [], 'layer entries that are no module of src/');
});

test('every import between modules of src/ runs down, to a lower layer', () => {
  const table = layers();
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const from = moduleOf(file);
      const to = relative(SRC, target).startsWith('..') ? relative(REPO_ROOT, target) : moduleOf(target);
      if (from === to) continue;
      const [a, b] = [table.get(from), table.get(to)];
      if (a === undefined || b === undefined || b <= a) wrong.push(`${relative(REPO_ROOT, file)} → ${to} (layer ${a} → ${b ?? 'outside src'})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no file of src/ imports itself through a cycle', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(SRC, f)).join(' → '));
      else if (!state.has(next)) visit(next, [...path, next]);
    }
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file, [file]);
  assert.deepEqual(cycles, []);
});

test("nothing in src/, test/ or bench/ imports a library's private files", () => {
  const privateFile = /^(?:@[^/]+\/)?[^./][^/]*\/(?:lib|dist|build|src|internal)\//;
  const offenders = ['src', 'test', 'bench']
    .flatMap((dir) => tsFiles(join(REPO_ROOT, dir)))
    .flatMap((f) => importsOf(readFileSync(f, 'utf8')).filter((s) => privateFile.test(s)).map((s) => `${relative(REPO_ROOT, f)}: ${s}`));
  assert.deepEqual(offenders, []);
  assert.ok(privateFile.test('fastify/lib/symbols.js') && privateFile.test('prom-client/lib/metrics/gc.js') && !privateFile.test('node:util'));
});

test('every file and folder docs/architecture.md names exists', () => {
  const paths = [...doc.matchAll(/`((?:src|test|monitoring|docs|bench)\/[^`*]+?)`/g)].map((m) => (m[1] as string).replace(/\/$/, ''));
  assert.ok(paths.length > 20, `${paths.length} paths found`);
  assert.deepEqual(paths.filter((p) => !existsSync(join(REPO_ROOT, p))), []);
});
