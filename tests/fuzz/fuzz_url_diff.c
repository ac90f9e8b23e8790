/*
 * Fuzz target: the URL differential against a WHATWG URL parser.
 *
 * Every input the core's parser (src/url.c) accepts is handed, with what the core made of it (the line
 * format of tests/url/url_canon.h), to one persistent Node process running tests/url/whatwg.mjs --serve.
 * Node's URL must read it as the same scheme, host, port, path and query (URL.href equal to
 * tt__url_href), with no credentials and no fragment; otherwise the input is a finding: the host the
 * core checks against the domain list would not be the host a browser connects to. Refused inputs need
 * no check. Node must be on PATH.
 *
 * The checker answers every line, with a mismatch sentence when the line or its own code goes wrong. If
 * it is gone all the same (killed from outside, say), the target says how it ended, starts a new one and
 * asks again: an input that ends the new checker too is a finding of its own; one the new checker
 * answers is checked as usual, so a checker lost to something else never passes for a finding.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "tt_internal.h"
#include "url.h"
#include "../url/url_canon.h"

static FILE *to_checker, *from_checker;
static pid_t checker_pid;
static unsigned long checked;  /* accepted inputs Node has agreed with */
static unsigned long restarts; /* checkers lost and replaced */
static char *reply;            /* the last answer, any length */
static size_t reply_cap;

static void report_checked(void) {
    fprintf(stderr, "url_diff: %lu accepted inputs checked by Node's URL (%lu checker restarts)\n", checked, restarts);
}

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
    checker_pid = pid;
    to_checker = fdopen(in[1], "w");
    from_checker = fdopen(out[0], "r");
    FUZZ_CHECK(to_checker && from_checker, "fdopen failed");
}

/* Reaps a checker that closed its output and says how it ended, into why[cap]. */
static void stop_checker(char *why, size_t cap) {
    fclose(to_checker);
    fclose(from_checker);
    int status = 0;
    pid_t got = waitpid(checker_pid, &status, 0);
    if (got != checker_pid) snprintf(why, cap, "the Node checker could not be reaped");
    else if (WIFSIGNALED(status)) snprintf(why, cap, "the Node checker was killed by signal %d", WTERMSIG(status));
    else if (WEXITSTATUS(status) == 127) snprintf(why, cap, "node could not be started (is it on PATH?)");
    else snprintf(why, cap, "the Node checker exited with status %d", WEXITSTATUS(status));
}

/* Sends the core's reading of s[0..size) and reads the answer into reply: 0, or -1 if the checker is gone. */
static int ask_checker(const char *s, size_t size) {
    url_canon_line(to_checker, s, size);
    if (fflush(to_checker) != 0) return -1;
    return getline(&reply, &reply_cap, from_checker) > 0 ? 0 : -1;
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
        if (ask_checker(s, size) != 0) {
            char why[128];
            stop_checker(why, sizeof why);
            fprintf(stderr, "url_diff: %s before answering; starting another\n", why);
            restarts++;
            start_checker();
            int again = ask_checker(s, size);
            if (again != 0) stop_checker(why, sizeof why);
            FUZZ_CHECK(again == 0, "\"%.*s\": the Node checker is gone twice on this input (%s)", (int)size, s, why);
        }
        FUZZ_CHECK(strcmp(reply, "ok\n") == 0, "\"%.*s\": %s", (int)size, s, reply);
        checked++;
    }
    free(s);
    return 0;
}
