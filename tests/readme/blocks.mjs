// The code blocks of a Markdown file, by name. A block is named by an HTML comment on the line before its
// opening fence:
//
//   <!-- readme-test: NAME -->          the block is used by tests/readme/readme.test.mjs under NAME
//   <!-- readme-test: skip (REASON) --> the block is deliberately not run; REASON says why
//
// Every fenced block must carry one of the two, so a new block cannot slip past the test unnoticed.
// CLI: node tests/readme/blocks.mjs FILE [NAME]   lists the names, or prints one block.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const TAG = /^<!--\s*readme-test:\s*(.+?)\s*-->$/;

// Returns { blocks: Map(name -> { lang, text, line }), untagged: [line numbers of fences without a tag] }.
export function readBlocks(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks = new Map();
  const untagged = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    const tag = i > 0 ? TAG.exec(lines[i - 1]) : null;
    const name = tag ? tag[1] : null;
    if (!name) untagged.push(i + 1);
    else if (!name.startsWith('skip')) {
      if (blocks.has(name)) throw new Error(`${file}:${i + 1}: block name ${name} used twice`);
      blocks.set(name, { lang: open[1], text: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1 });
    }
    i = end;
  }
  return { blocks, untagged };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, name] = process.argv.slice(2);
  const { blocks } = readBlocks(file);
  if (name) process.stdout.write(blocks.get(name)?.text ?? '');
  else for (const [n, b] of blocks) console.log(`${n}\t${b.lang}\tline ${b.line}`);
}
