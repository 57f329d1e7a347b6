// Type-checks every TypeScript example the project shows a reader: each ```ts block of a package README and
// each `@example` block of a TSDoc comment under packages/*/src, compiled against the BUILT packages (run
// `pnpm build` first), so that an example cannot drift from the API it shows (issue 12: the `importCsv`
// example once used a `mapping.columns` shape that never existed).
//
// Examples are fragments: TSDoc examples do not import what they show, and README blocks use values made in
// an earlier block (`conn`, `records`). So each block becomes its own module inside its package folder
// (where `@kicksaw/<name>` and the package's dependencies resolve as they do for a user), and it is checked in
// two passes: the first finds the names it never declares; the second imports those that the package exports
// and declares the rest as `any`. Everything the example does with the package's API is then checked:
// argument shapes (excess properties included), option names, return types used with known types, imports.
// A name the checker suggests a correction for ("Did you mean 'importCsv'?") is reported, not declared away.
//
// A block whose info string is `ts no-check` is skipped (for a deliberate counter-example).
//
// Usage: node scripts/check-examples.mjs [package-folder-name ...]   (exit 1 when any example fails)
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const packagesDir = join(root, 'packages');
const scratchName = '.examples-check';

/** @returns {string[]} every .ts file below dir */
function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** ```ts blocks of a Markdown file, with the line each starts on. */
function markdownBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(ts|typescript)(\s+no-check)?\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    if (!open[2]) blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** ```ts blocks inside `@example` tags of TSDoc comments. */
function tsdocBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\b/.test(lines[i])) continue;
    let j = i + 1;
    while (j < lines.length && /^\s*\*\s*$/.test(lines[j])) j++;
    const open = /^\s*\*\s*```(ts|typescript)(\s+no-check)?\s*$/.exec(lines[j] ?? '');
    if (!open) continue;
    const start = j + 1;
    let end = start;
    while (end < lines.length && !/^\s*\*\s*```\s*$/.test(lines[end]) && !/\*\//.test(lines[end])) end++;
    if (!open[2]) {
      const code = lines
        .slice(start, end)
        .map((l) => l.replace(/^\s*\* ?/, ''))
        .join('\n');
      blocks.push({ line: start + 1, code });
    }
    i = end;
  }
  return blocks;
}

const compilerOptions = {
  target: ts.ScriptTarget.ES2023,
  // What Node 22 gives a user's code (Array.fromAsync and the like), not the packages' own ES2023 floor.
  lib: ['lib.esnext.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  // An example may show two packages together (lakehouse with a warehouse engine): every @kicksaw package
  // resolves to its built folder, as it would once installed, whichever package shows the example.
  paths: { '@kicksaw/*': [join(root, 'packages/*/dist/index.d.ts')] },
  types: ['node'],
  isolatedModules: true,
  verbatimModuleSyntax: false,
};

// Collect the examples, one module file each, inside the package that shows them.
const examples = [];
for (const name of readdirSync(packagesDir)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const dir = join(packagesDir, name);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  if (manifest.private) continue;
  rmSync(join(dir, scratchName), { recursive: true, force: true });
  const found = [];
  try {
    for (const block of markdownBlocks(readFileSync(join(dir, 'README.md'), 'utf8'))) {
      found.push({ origin: join(dir, 'README.md'), ...block });
    }
  } catch {}
  try {
    for (const file of sourceFiles(join(dir, 'src'))) {
      for (const block of tsdocBlocks(readFileSync(file, 'utf8'))) found.push({ origin: file, ...block });
    }
  } catch {}
  if (found.length === 0) continue;
  mkdirSync(join(dir, scratchName), { recursive: true });
  found.forEach((example, index) => {
    examples.push({ ...example, pkg: manifest.name, dir, file: join(dir, scratchName, `example-${index}.ts`) });
  });
}

const exportsCache = new Map();
/** Names (values and types) the built package exports, read from its declaration entry. */
function packageExports(program, example) {
  if (exportsCache.has(example.pkg)) return exportsCache.get(example.pkg);
  const resolved = ts.resolveModuleName(example.pkg, example.file, compilerOptions, ts.sys).resolvedModule;
  const names = new Map();
  const source = resolved && program.getSourceFile(resolved.resolvedFileName);
  if (source) {
    const checker = program.getTypeChecker();
    const symbol = checker.getSymbolAtLocation(source);
    for (const exported of symbol ? checker.getExportsOfModule(symbol) : []) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      names.set(exported.name, (target.flags & ts.SymbolFlags.Value) !== 0);
    }
  }
  exportsCache.set(example.pkg, names);
  return names;
}

// An example may be a fragment of a function body (`return` at its end): its import lines move to the top
// of the module (blank lines keep their places), everything else becomes the body of an async function.
// `example.shift` is the number of lines before the example's first line, so reported lines point into it.
function write(example, prelude) {
  const lines = example.code.split('\n');
  const imports = [];
  const body = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^import\s/.test(lines[i])) {
      // `export const handler = ...` is the module's business; inside the function it is a plain declaration.
      body.push(lines[i].replace(/^export\s+(?=(const|let|function|async|class|interface|type)\b)/, ''));
      continue;
    }
    let j = i;
    while (j < lines.length - 1 && !/(from\s+['"][^'"]+['"]|^import\s+['"][^'"]+['"]);?\s*$/.test(lines[j])) j++;
    for (let k = i; k <= j; k++) {
      imports.push(lines[k]);
      body.push('');
    }
    i = j;
  }
  const head = `${prelude}${imports.map((l) => `${l}\n`).join('')}async function __example() {\n`;
  example.shift = head.split('\n').length - 1;
  writeFileSync(example.file, `${head}${body.join('\n')}\n}\nvoid __example;\nexport {};\n`);
}

function check(extraFiles = []) {
  const program = ts.createProgram([...examples.map((e) => e.file), ...extraFiles], compilerOptions);
  return { program, diagnostics: ts.getPreEmitDiagnostics(program) };
}

for (const example of examples) {
  write(example, '');
  example.firstShift = example.shift;
}
const first = check();
const byFile = new Map(examples.map((e) => [e.file, e]));
const missing = new Map(examples.map((e) => [e.file, new Set()]));
const typos = [];
const ambient = new Set();
for (const d of first.diagnostics) {
  const example = d.file && byFile.get(d.file.fileName);
  if (!example) continue;
  const name = d.file.text.slice(d.start, d.start + d.length);
  if (d.code === 2307 && !name.startsWith("'@kicksaw/")) {
    // A third-party module the package does not depend on (pino in a logger example): shorthand ambient.
    ambient.add(name.slice(1, -1));
  } else if (d.code === 2304 || d.code === 2552 || d.code === 2582 || d.code === 2593 || d.code === 18004) {
    const exported = packageExports(first.program, example);
    const suggestion =
      d.code === 2552 ? /Did you mean '([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, ' ')) : null;
    if (suggestion && exported.has(suggestion[1]) && !exported.has(name)) typos.push(d);
    else missing.get(example.file).add(name);
  }
}
for (const example of examples) {
  const exported = packageExports(first.program, example);
  const imports = [];
  const declares = [];
  for (const name of missing.get(example.file)) {
    if (exported.has(name)) imports.push(exported.get(name) ? name : `type ${name}`);
    else declares.push(`declare const ${name}: any; type ${name} = any;`);
  }
  const head = imports.length > 0 ? `import { ${imports.join(', ')} } from '${example.pkg}';\n` : '';
  write(example, head + declares.map((l) => `${l}\n`).join(''));
}
const ambientFile = join(examples[0].dir, scratchName, 'ambient.d.ts');
writeFileSync(ambientFile, [...ambient].map((m) => `declare module '${m}';\n`).join(''));
const second = check([ambientFile]);
// Examples name values they do not build (`contacts`, `outcomes`), declared as `any` above; a callback over
// them has untyped parameters (7006, 7031), which is no fault of the example.
const untypedParameter = new Set([7006, 7031]);
const failures = [
  ...typos,
  ...second.diagnostics.filter((d) => d.file && byFile.has(d.file.fileName) && !untypedParameter.has(d.code)),
];

for (const d of failures) {
  const example = byFile.get(d.file.fileName);
  const { line } = d.file.getLineAndCharacterOfPosition(d.start);
  const at = example.line + line - (typos.includes(d) ? example.firstShift : example.shift);
  console.error(
    `${relative(root, example.origin)}:${at}: example does not compile: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
  );
}
for (const dir of new Set(examples.map((e) => e.dir))) rmSync(join(dir, scratchName), { recursive: true, force: true });
console.log(`examples: ${examples.length} checked, ${failures.length} error(s)`);
process.exit(failures.length > 0 ? 1 : 0);
