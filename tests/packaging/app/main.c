/* The outside program of the install and packaging checks (tests/install-check.sh, the .deb test, the
 * vendored consumer): only the public header and the library, no network. Exits 0 when tt_version()
 * matches the header, tt_strerror() answers and refused options get fail + complete from the dispatch
 * point; prints one line. */
#include <stdio.h>
#include <string.h>
#include <ttsocket.h>

static int fail_calls, complete_calls;
static char fail_msg[256];

static void on_fail(const tt_result *r, void *user_data) {
    (void)user_data;
    fail_calls++;
    snprintf(fail_msg, sizeof fail_msg, "%s", r && r->err_msg ? r->err_msg : "(null)");
}
static void on_complete(const tt_result *r, void *user_data) {
    (void)r;
    (void)user_data;
    complete_calls++;
}

int main(void) {
    int bad = 0;
    const char *v = tt_version();
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", TT_VERSION_MAJOR, TT_VERSION_MINOR, TT_VERSION_PATCH);
    if (!v || strcmp(v, expect) != 0) {
        fprintf(stderr, "tt_version() = %s, header says %s\n", v ? v : "(null)", expect);
        bad = 1;
    }
    const char *s = tt_strerror(TT_EINVAL);
    if (!s || !*s || strcmp(tt_strerror(TT_OK), s) == 0) {
        fprintf(stderr, "tt_strerror(TT_EINVAL) = %s\n", s ? s : "(null)");
        bad = 1;
    }
    /* NULL options: refused, nothing called. */
    tt_socket_task t = tt_connect_socket(NULL);
    if (t.id != 0) {
        fprintf(stderr, "tt_connect_socket(NULL) returned task %u\n", (unsigned)t.id);
        bad = 1;
    }
    /* A URL that is not ws/wss: refused, fail + complete come from the dispatch point. */
    tt_connect_socket_options o;
    memset(&o, 0, sizeof o);
    o.url = "ftp://example.invalid/";
    o.fail = on_fail;
    o.complete = on_complete;
    t = tt_connect_socket(&o);
    if (t.id != 0) {
        fprintf(stderr, "tt_connect_socket(ftp://) returned task %u\n", (unsigned)t.id);
        bad = 1;
    }
    for (int i = 0; i < 20 && (fail_calls == 0 || complete_calls == 0); i++) tt_runtime_poll(0);
    if (fail_calls != 1 || complete_calls != 1) {
        fprintf(stderr, "bad options: fail called %d times, complete %d times (want 1 and 1)\n", fail_calls,
                complete_calls);
        bad = 1;
    }
    tt_runtime_shutdown();
    printf("ttsocket %s; tt_strerror(TT_EINVAL) = \"%s\"; bad options -> \"%s\"\n", v ? v : "?", s ? s : "?", fail_msg);
    return bad;
}
