// Build step of the web package (web/CMakeLists.txt runs it on ttsocket.mjs after emcc, before terser):
// writes Emscripten 3.1.6's export wrappers as one table and one loop.
//
// For every export, Emscripten 3.1.6 (MODULARIZE, optimized, no ASSERTIONS) emits a line of the form
//   var _tt_version=Module["_tt_version"]=function(){return(_tt_version=Module["_tt_version"]=Module["asm"]["Q"]).apply(null,arguments)};
// a lazy wrapper (the wasm instance does not exist yet when the line runs) that replaces itself by the
// wasm function on first use. With 30 exports these lines were a quarter of the glue. For the exports that
// the glue itself never names (the whole C API, the ttjs_* bridge, malloc and free), this rewrites them as
//   for(var ttExports="_tt_version Q ...".split(" "),ttI=0;...;ttI+=2) ...Module[name]=function(){...}...
// so every Module["_name"] behaves exactly as before: a function that, on its first call, replaces itself by
// Module["asm"][...] and forwards the call. Exports the glue calls by variable (stackAlloc for ccall, the
// tt__web_* helpers of library_ttsocket.js) keep their own line, which also updates that variable.
//
// Other Emscripten versions write their wrappers differently; their output matches nothing here and is
// left as it is (tests/web/size.test.mjs checks the result for each toolchain the tests build with).
// Usage: node compact_exports.mjs FILE (rewritten in place)
import fs from 'node:fs';

const file = process.argv[2];
const js = fs.readFileSync(file, 'utf8');

const WRAPPER = /var ([\w$]+)=Module\["\1"\]=function\(\)\{return\(\1=Module\["\1"\]=Module\["asm"\]\["([\w$]+)"\]\)\.apply\(null,arguments\)\};\n?/g;

const table = [];
let at = -1;
const out = js.replace(WRAPPER, (line, name, asmName, offset) => {
  // Kept when the name occurs anywhere outside its own wrapper line.
  const word = new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g');
  if ((js.match(word) || []).length !== (line.match(word) || []).length) return line;
  table.push(name, asmName);
  if (at < 0) at = offset;
  return '\0';
});

if (table.length === 0) process.exit(0);

const loop = `for(var ttExports=${JSON.stringify(table.join(' '))}.split(" "),ttI=0;ttI<ttExports.length;ttI+=2)` +
  '(function(name,asmName){Module[name]=function(){return(Module[name]=Module["asm"][asmName]).apply(null,arguments)}})' +
  '(ttExports[ttI],ttExports[ttI+1]);\n';
// The table goes where the first rewritten wrapper was; the others' places are dropped.
let first = true;
fs.writeFileSync(file, out.replace(/\0/g, () => (first ? ((first = false), loop) : '')));
