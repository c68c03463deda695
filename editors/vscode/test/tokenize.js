// Tokenises Tandem sources with ../syntaxes/tandem.tmLanguage.json through vscode-textmate
// (VS Code's own tokenizer) and checks the scopes against the language server's semantic
// tokens, which come from the compiler's lexer and parser:
//   - every scope the grammar gives is one the grammar declares (…​.tandem);
//   - a comment, string, number, keyword or attribute (by the compiler) is scoped so by the
//     grammar, character by character;
//   - a character the grammar scopes as a comment or a string is one by the compiler (so no
//     `"` in a comment or `//` in a string runs on);
//   - no line stops early, and every file ends with the grammar's rule stack back at the top.
// Usage: node tokenize.js GRAMMAR CASES.json   (cases: [{ name, text, tokens: [[line, col,
// len, type]] }]). Prints each failure and exits 1 when there is one.
"use strict";
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const [grammarPath, casesPath] = process.argv.slice(2);
const grammarText = fs.readFileSync(grammarPath, "utf8");
const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));

// Every `name` and `contentName` the grammar declares.
const declared = new Set();
(function walk(v) {
  if (Array.isArray(v)) return v.forEach(walk);
  if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if ((k === "name" || k === "contentName") && typeof x === "string") declared.add(x);
      walk(x);
    }
  }
})(JSON.parse(grammarText).repository);
for (const p of JSON.parse(grammarText).patterns) if (p.name) declared.add(p.name);

// What the grammar must say for each compiler class.
const want = {
  comment: (s) => s.startsWith("comment."),
  string: (s) => s.startsWith("string.") || s.startsWith("constant.character.escape"),
  number: (s) => s.startsWith("constant.numeric."),
  keyword: (s) =>
    s.startsWith("keyword.") ||
    s.startsWith("storage.") ||
    s.startsWith("variable.language.") ||
    s.startsWith("constant.language."),
  decorator: (s) => s.startsWith("meta.attribute.") || s.includes(".attribute."),
};

async function main() {
  const wasm = fs.readFileSync(
    path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm")
  );
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p) => new oniguruma.OnigScanner(p),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) =>
      scope === "source.tandem" ? vsctm.parseRawGrammar(grammarText, grammarPath) : null,
  });
  const grammar = await registry.loadGrammar("source.tandem");
  if (!grammar) throw new Error("the grammar did not load");

  const failures = [];
  let lines = 0;
  let checked = 0;
  for (const c of cases) {
    const fail = (line, msg) => {
      if (failures.length < 200) failures.push(`${c.name}:${line + 1}: ${msg}`);
    };
    const src = c.text.split("\n");
    // Per line, per UTF-16 column: the grammar's scopes, and the compiler's class.
    const scopes = [];
    let stack = vsctm.INITIAL;
    src.forEach((text, i) => {
      const r = grammar.tokenizeLine(text, stack, 5000);
      if (r.stoppedEarly) fail(i, "tokenisation stopped early");
      const cols = new Array(text.length);
      for (const t of r.tokens) {
        for (const s of t.scopes) {
          if (s !== "source.tandem" && !declared.has(s)) fail(i, `undeclared scope \`${s}\``);
        }
        for (let k = t.startIndex; k < Math.min(t.endIndex, text.length); k++) cols[k] = t.scopes;
      }
      scopes.push(cols);
      stack = r.ruleStack;
      lines++;
    });
    if (stack.depth !== undefined && stack.depth !== 1) {
      fail(src.length - 1, `the file ends inside a grammar rule (stack depth ${stack.depth})`);
    }
    const cls = src.map((t) => new Array(t.length));
    for (const [line, col, len, type] of c.tokens) {
      for (let k = col; k < col + len; k++) cls[line][k] = type;
    }
    src.forEach((text, i) => {
      for (let k = 0; k < text.length; k++) {
        if (/\s/.test(text[k])) continue;
        const sc = scopes[i][k] || ["source.tandem"];
        const type = cls[i][k];
        const test = want[type];
        if (test) {
          checked++;
          if (!sc.some(test)) {
            fail(i, `col ${k + 1} \`${text.slice(k, k + 12)}\`: the compiler says ${type}, the grammar [${sc.join(" ")}]`);
            break;
          }
        }
        for (const [kind, prefix] of [["comment", "comment."], ["string", "string."]]) {
          if (type !== kind && sc.some((s) => s.startsWith(prefix))) {
            fail(i, `col ${k + 1} \`${text.slice(k, k + 12)}\`: the grammar says ${kind}, the compiler ${type || "code"}`);
            k = text.length;
            break;
          }
        }
      }
    });
  }
  console.log(`${cases.length} sources, ${lines} lines, ${checked} characters checked`);
  if (failures.length) {
    console.log(failures.join("\n"));
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(2);
});
