/*
 * The npm package's strlen. Emscripten's (musl's) reads a word at a time once aligned, which pays off
 * on long strings; the library only measures short ones (a URL, a header, a subprotocol, a close reason:
 * message payloads come with their length), and a byte loop is 94 bytes less of the package's wasm.
 * Compiled with -fno-builtin (web/CMakeLists.txt) so that the compiler cannot turn the loop back into a
 * call to strlen. Only the package links this file: libttsocket.a leaves strlen to the game's libc.
 */
#include <string.h>

size_t strlen(const char *s) {
    const char *p = s;
    while (*p != '\0') p++;
    return (size_t)(p - s);
}
