// Build step of the web package (web/CMakeLists.txt runs it on ttsocket.mjs after emcc, before terser):
// writes Emscripten's per-export wrappers as one table and one loop.
//
// For every export, Emscripten (MODULARIZE, optimized, no ASSERTIONS) emits a line such as (3.1.6)
//   var _tt_version=Module["_tt_version"]=function(){return(_tt_version=Module["_tt_version"]=Module["asm"]["Q"]).apply(null,arguments)};
// or (3.1.69)
//   var _tt_version=Module["_tt_version"]=()=>(_tt_version=Module["_tt_version"]=wasmExports["O"])();
// a lazy wrapper (the wasm instance does not exist yet when the line runs) that replaces itself by the
// wasm function on first use. With 30 exports these lines were a quarter of the glue. For the exports the
// glue never names otherwise (the whole C API, the ttjs_* bridge, malloc and free), this writes them as
//   for(var ttExports="_tt_version Q ...".split(" "),ttI=0;...;ttI+=2) ...Module[name]=function(){...}...
// so every Module["_name"] behaves as before: a function that, on its first call, replaces itself by the
// wasm export and forwards the call. (The 3.1.69 form takes its arguments as a rest parameter, so the
// placeholder's .length is 0 until that first call.) Exports the glue calls by variable (the
// tt__web_* helpers of library_ttsocket.js) keep their own line, which also updates that
// variable.
//
// Output of other Emscripten versions matches neither form and is left as it is
// (tests/web/size.test.mjs checks the result for each toolchain the tests build with).
// Usage: node compact_exports.mjs FILE (rewritten in place)
import fs from 'node:fs';

const FORMS = [
  { // Emscripten 3.1.6
    wrapper: /var ([\w$]+)=Module\["\1"\]=function\(\)\{return\(\1=Module\["\1"\]=Module\["asm"\]\["([\w$]+)"\]\)\.apply\(null,arguments\)\};\n?/g,
    lazy: 'Module[name]=function(){return(Module[name]=Module["asm"][asmName]).apply(null,arguments)}',
  },
  { // Emscripten 3.1.69
    wrapper: /var ([\w$]+)=Module\["\1"\]=(?:\([\w$,]*\)|[\w$]+)=>\(\1=Module\["\1"\]=wasmExports\["([\w$]+)"\]\)\([\w$,]*\);\n?/g,
    lazy: 'Module[name]=(...args)=>(Module[name]=wasmExports[asmName])(...args)',
  },
];

const file = process.argv[2];
let js = fs.readFileSync(file, 'utf8');

for (const { wrapper, lazy } of FORMS) {
  const table = [];
  const out = js.replace(wrapper, (line, name, asmName) => {
    // Kept when the name occurs anywhere outside its own wrapper line.
    const word = new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g');
    if ((js.match(word) || []).length !== (line.match(word) || []).length) return line;
    table.push(name, asmName);
    return '\0';
  });
  if (table.length === 0) continue;
  const loop = `for(var ttExports=${JSON.stringify(table.join(' '))}.split(" "),ttI=0;ttI<ttExports.length;ttI+=2)` +
    `(function(name,asmName){${lazy}})(ttExports[ttI],ttExports[ttI+1]);\n`;
  // The loop goes where the first rewritten wrapper was; the others' places are dropped.
  let first = true;
  js = out.replace(/\0/g, () => (first ? ((first = false), loop) : ''));
}
fs.writeFileSync(file, js);
