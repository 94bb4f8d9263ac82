// The titles of the tests and describe blocks a test file declares, read from
// its source with the TypeScript parser (never by running it: titles must not
// depend on the privilege level, and itIf renames skipped tests).
import * as fs from 'node:fs';
import * as ts from 'typescript';

/** One title: a literal, or a template whose `${…}` parts match text found in the file. */
export interface Title {
  text: string;
  matches(name: string): boolean;
}

const TEST_FUNCTIONS = new Set(['it', 'test', 'describe']);

// `it(…)`, `test(…)`, `describe(…)`, and a call's result called with a title:
// `itIf(cond, why)(…)`, `(cond ? it : it.skip)(…)`.
function isTestCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return TEST_FUNCTIONS.has(callee.text);
  return ts.isCallExpression(callee) || ts.isParenthesizedExpression(callee);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function title(node: ts.Expression, sourceText: string): Title | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    const text = node.text;
    return { text, matches: (name) => name === text };
  }
  if (ts.isTemplateExpression(node)) {
    const parts = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
    const pattern = new RegExp(`^${parts.map(escape).join('(.+?)')}$`, 's');
    // What fills each `${…}` must appear in the file (the case table it comes
    // from), so that a deleted case is not matched by its loop's template.
    const inFile = (filled: string) => sourceText.includes(filled);
    return { text: parts.join('${…}'), matches: (name) => (pattern.exec(name)?.slice(1) ?? [undefined]).every((v) => v !== undefined && inFile(v)) };
  }
  return undefined;
}

export function testTitles(file: string): Title[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Title[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && isTestCall(node) && node.arguments.length >= 2) {
      const t = title(node.arguments[0], source.text);
      if (t) out.push(t);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}
