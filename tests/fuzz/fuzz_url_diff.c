/*
 * Fuzz target: the URL differential against a WHATWG URL parser.
 *
 * Every input the core's parser (src/url.c) accepts is handed, with what the core made of it (the line
 * format of tests/url/url_canon.h), to one persistent Node process running tests/url/whatwg.mjs --serve.
 * Node's URL must read it as the same scheme, host, port, path and query (URL.href equal to
 * tt__url_href), with no credentials and no fragment; otherwise the input is a finding: the host the
 * core checks against the domain list would not be the host a browser connects to. Refused inputs need
 * no check. Node must be on PATH.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "tt_internal.h"
#include "url.h"
#include "../url/url_canon.h"

static FILE *to_checker, *from_checker;
static unsigned long checked; /* accepted inputs Node has agreed with */

static void report_checked(void) { fprintf(stderr, "url_diff: %lu accepted inputs checked by Node's URL\n", checked); }

/* tests/url/whatwg.mjs, found from this file's own path (tests/fuzz/fuzz_url_diff.c). */
static void checker_path(char *out, size_t cap) {
    const char *slash = strrchr(__FILE__, '/');
    size_t dir = slash ? (size_t)(slash - __FILE__) + 1 : 0;
    snprintf(out, cap, "%.*s../url/whatwg.mjs", (int)dir, __FILE__);
}

static void start_checker(void) {
    char script[4096];
    checker_path(script, sizeof script);
    int in[2], out[2];
    FUZZ_CHECK(pipe(in) == 0 && pipe(out) == 0, "pipe failed");
    pid_t pid = fork();
    FUZZ_CHECK(pid >= 0, "fork failed");
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execlp("node", "node", script, "--serve", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    /* A checker that died must show up as a failed read, not kill the fuzzer with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    to_checker = fdopen(in[1], "w");
    from_checker = fdopen(out[0], "r");
    FUZZ_CHECK(to_checker && from_checker, "fdopen failed");
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    start_checker();
    atexit(report_checked);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = malloc(size ? size : 1);
    if (size) memcpy(s, data, size);
    tt__url u;
    if (tt__url_parse(s, size, &u) == 0) {
        url_canon_line(to_checker, s, size);
        fflush(to_checker);
        char reply[8192];
        FUZZ_CHECK(fgets(reply, sizeof reply, from_checker) != NULL, "the Node checker is gone (is node on PATH?)");
        FUZZ_CHECK(strncmp(reply, "ok\n", 3) == 0, "\"%.*s\": %s", (int)size, s, reply);
        checked++;
    }
    free(s);
    return 0;
}
