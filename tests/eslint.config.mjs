// The JavaScript layout the tree already follows, as ESLint's stylistic rules (the JavaScript counterpart
// of the top-level .clang-format). tests/format-check.sh checks every tracked .js/.mjs/.cjs/.ts/.mts file
// with it (part of `make test`) and `tests/format-check.sh --fix` (make format) rewrites them.
//
// Why stylistic rules and not a reprinting formatter: the code is hand-packed (several arguments or array
// items per line with a hanging indent, short one-line blocks such as `if (x) { a(); return; }`, several
// declarators per `const`). Prettier, tuned (printWidth 120, singleQuote, trailing commas), would rewrite
// about 1,600 of its 8,600 lines and add 4,300; dprint, tuned, about 1,200 and 2,400. These rules change
// fewer than 20 lines and still fix indentation, spacing, quotes, semicolons, commas and operator placement.
//
// Base: @stylistic's customize() preset (2-space indent, single quotes, semicolons, 1tbs braces, trailing
// commas on multi-line lists); the overrides below are where the house layout differs from the preset.
import stylistic from '@stylistic/eslint-plugin';
import tsParser from '@typescript-eslint/parser';

export default [
  {
    // web/library_ttsocket.js is an Emscripten JS library, not plain JavaScript: it holds {{{ }}} macros
    // that emcc expands and @NAME@ constants that CMake's configure_file substitutes (the JS<->C event
    // offsets and codes from web/web_abi.h), so no JavaScript parser reads it before the build has
    // processed it. It is kept in the same layout by hand.
    ignores: ['web/library_ttsocket.js', '**/node_modules/**', 'build/**'],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'off' } },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], languageOptions: { ecmaVersion: 'latest', sourceType: 'module' } },
  { files: ['**/*.ts', '**/*.mts'], languageOptions: { parser: tsParser } },
  stylistic.configs.customize({
    indent: 2, quotes: 'single', semi: true, braceStyle: '1tbs', commaDangle: 'always-multiline',
    arrowParens: true, blockSpacing: true, quoteProps: 'as-needed', jsx: false,
  }),
  {
    rules: {
      // Lists are packed: several items per line, continuation lines with a hanging indent.
      '@stylistic/list-style': 'off',
      // Short blocks stay on one line: `if (!ok) { res.writeHead(404).end(); return; }`.
      '@stylistic/max-statements-per-line': 'off',
      // A chain of one-line blocks may put `else`/`catch` on the next line:
      //   try { build(...); }
      //   catch (e) { problems.push(e.message); }
      '@stylistic/brace-style': 'off',
      // A ternary may break anywhere, and its `?`/`:` may end or start a line.
      '@stylistic/multiline-ternary': 'off',
      // Binary and logical operators end the line; the continuation is indented once.
      '@stylistic/operator-linebreak': ['error', 'after', { overrides: { '?': 'ignore', ':': 'ignore' } }],
      '@stylistic/indent-binary-ops': 'off',
      // Single quotes unless the string holds one; backquotes also for plain text.
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      // Class members may follow each other without a blank line.
      '@stylistic/lines-between-class-members': 'off',
      // Spaces inside braces, none inside brackets: `{ a: [1, 2] }`. These two rules are deprecated in favour of
      // list-style (off above, as it also puts each item of a multi-line list on its own line) but work in the
      // pinned version; tests/format-check.sh hides the deprecation notice.
      '@stylistic/object-curly-spacing': ['error', 'always'],
      '@stylistic/array-bracket-spacing': ['error', 'never'],
      // Rules the preset leaves out that the code follows everywhere.
      '@stylistic/function-call-spacing': ['error', 'never'],
      '@stylistic/linebreak-style': ['error', 'unix'],
      '@stylistic/no-extra-semi': 'error',
      '@stylistic/semi-style': ['error', 'last'],
      '@stylistic/switch-colon-spacing': ['error', { after: true, before: false }],
      '@stylistic/curly-newline': ['error', { consistent: true }],
      '@stylistic/nonblock-statement-body-position': ['error', 'beside'],
      // Trailing comments may be aligned in a column.
      '@stylistic/no-multi-spaces': ['error', { ignoreEOLComments: true }],
      // The preset's indent options, plus: an argument that follows a multi-line binary or logical argument
      // keeps the call's hanging indent (the rule would otherwise align it with the operand's continuation).
      '@stylistic/indent': ['error', 2, {
        ArrayExpression: 1, CallExpression: { arguments: 1 }, flatTernaryExpressions: false,
        FunctionDeclaration: { body: 1, parameters: 1, returnType: 1 },
        FunctionExpression: { body: 1, parameters: 1, returnType: 1 },
        ignoreComments: false, ImportDeclaration: 1, MemberExpression: 1, ObjectExpression: 1,
        offsetTernaryExpressions: true, outerIIFEBody: 1, SwitchCase: 1, tabLength: 2, VariableDeclarator: 1,
        ignoredNodes: ['TSUnionType', 'TSIntersectionType', 'CallExpression > BinaryExpression ~ *',
          'CallExpression > LogicalExpression ~ *'],
      }],
    },
  },
];
