/* The differential test (tests/diff/diff.h): random user-level instructions
 * run on the host CPU and on glass's interpreter, compared.
 *
 *   diff-test [--seed N] [--count N] [--mode 32|64] [--template NAME]
 *             [--oracle32 auto|native|addr32] [--show N] [--runner PATH]
 *             [--path step|run|bt|both|all|LIST] [--native-twice] [--list]
 *
 * Without --mode, 64-bit and 32-bit (compatibility-mode) cases alternate.
 * --oracle32: what the host runs for a 32-bit case: the same bytes in a
 * compatibility-mode segment (native), or the 64-bit equivalent (addr32,
 * see gen.c); auto (default): native if the host can run 32-bit user code.
 * --path: how glass runs each instruction: interp_step() (decoded afresh,
 * faults read from cpu->pending), interp_run() (block cache, specialised
 * handlers, faults delivered through the IDT), bt (the binary translator:
 * the instruction and the INT3 after it as a translated block, faults
 * delivered through the IDT); a comma-separated list of these, both
 * (step,run) or all (default: a case fails if any path diverges).
 * Prints up to --show divergences in full (default 20), a count of cases
 * and divergences per mode and template, and a last line "N passed, N
 * failed" counting instructions; exits 1 if any failed.  --native-twice
 * runs every case natively twice instead (a self-test of the runner: must
 * be deterministic). */
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/diff/compare.h"
#include "tests/diff/gen.h"
#include "tests/diff/interp_side.h"
#include "tests/diff/native.h"

struct options {
    uint64_t seed, count;
    int mode, tmpl, show;
    const char *runner;
    const char *tmpl_name;
    int native_twice;
    int paths;          /* bit p: enum diff_path p */
    int oracle32;       /* -1 auto, else DIFF_ORACLE_* */
};

static void usage(void)
{
    fprintf(stderr, "usage: diff-test [--seed N] [--count N] [--mode 32|64] [--template NAME]\n"
                    "                 [--oracle32 auto|native|addr32] [--show N] [--runner PATH]\n"
                    "                 [--path step|run|bt|both|all|LIST] [--native-twice] [--list]\n");
    exit(2);
}

static uint64_t number(const char *flag, const char *s)
{
    char *end;
    uint64_t v = strtoull(s, &end, 0);
    if (!*s || *end) {
        fprintf(stderr, "diff-test: %s wants a number, not '%s'\n", flag, s);
        exit(2);
    }
    return v;
}

static void parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .seed = 1, .count = 200000, .tmpl = -1, .show = 20, .paths = 7, .oracle32 = -1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--list")) {
            for (int t = 0; t < gen_tmpl_count(); t++)
                printf("%s\n", gen_tmpl_name(t));
            exit(0);
        } else if (!strcmp(a, "--native-twice")) {
            o->native_twice = 1;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--seed")) {
            o->seed = number(a, v);
        } else if (!strcmp(a, "--count")) {
            o->count = number(a, v);
        } else if (!strcmp(a, "--show")) {
            o->show = (int)number(a, v);
        } else if (!strcmp(a, "--mode")) {
            o->mode = (int)number(a, v);
            if (o->mode != 32 && o->mode != 64) {
                fprintf(stderr, "diff-test: --mode is 32 or 64, not %s\n", v);
                exit(2);
            }
        } else if (!strcmp(a, "--template")) {
            o->tmpl = gen_tmpl_find(v);
            o->tmpl_name = v;
            if (o->tmpl < 0) {
                fprintf(stderr, "diff-test: no template '%s' (--list shows them)\n", v);
                exit(2);
            }
        } else if (!strcmp(a, "--path")) {
            o->paths = 0;
            char list[64];
            snprintf(list, sizeof list, "%s", v);
            for (char *save = NULL, *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                int bits = !strcmp(w, "step") ? 1 : !strcmp(w, "run") ? 2 : !strcmp(w, "bt") ? 4
                         : !strcmp(w, "both") ? 3 : !strcmp(w, "all") ? 7 : 0;
                if (!bits) {
                    fprintf(stderr, "diff-test: --path is step, run, bt, both, all or a comma-separated"
                                    " list of them, not %s\n", v);
                    exit(2);
                }
                o->paths |= bits;
            }
            if (!o->paths)
                usage();
        } else if (!strcmp(a, "--oracle32")) {
            o->oracle32 = !strcmp(v, "auto") ? -1 : !strcmp(v, "native") ? DIFF_ORACLE_SAME
                        : !strcmp(v, "addr32") ? DIFF_ORACLE_ADDR32 : -2;
            if (o->oracle32 == -2) {
                fprintf(stderr, "diff-test: --oracle32 is auto, native or addr32, not %s\n", v);
                exit(2);
            }
        } else if (!strcmp(a, "--runner")) {
            o->runner = v;
        } else {
            usage();
        }
    }
}

/* The runner lives next to this executable unless told otherwise. */
static void runner_path(const struct options *o, char *buf, size_t len)
{
    if (o->runner) {
        snprintf(buf, len, "%s", o->runner);
        return;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(buf, len, "diff-runner");
        return;
    }
    self[n] = 0;
    snprintf(buf, len, "%s/diff-runner", dirname(self));
}

static const char *vector_name(int v)
{
    static const char *const names[32] = {
        [0] = "#DE", [1] = "#DB", [3] = "#BP", [4] = "#OF", [5] = "#BR", [6] = "#UD", [7] = "#NM",
        [8] = "#DF", [10] = "#TS", [11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF",
        [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM",
    };
    return v >= 0 && v < 32 && names[v] ? names[v] : "an exception";
}

/* Which oracle the 32-bit cases get; 0, or 77 (skip) if the one asked for
 * cannot be had. */
static int choose_oracle32(const struct options *o, const struct native *nat, struct gen *g)
{
    bool direct = nat->shm->host_features & DIFF_HOST_COMPAT32;
    if (o->oracle32 == DIFF_ORACLE_SAME && !direct) {
        printf("diff-test: --oracle32 native: this host cannot run 32-bit user code\n");
        return 77;
    }
    g->oracle32 = o->oracle32 >= 0 ? o->oracle32 : direct ? DIFF_ORACLE_SAME : DIFF_ORACLE_ADDR32;
    return 0;
}

static void print_oracle32(const struct native *nat, const struct gen *g, uint64_t n32)
{
    const struct diff_shm *shm = nat->shm;
    if (g->oracle32 == DIFF_ORACLE_SAME) {
        printf("32-bit: run natively in a compatibility-mode segment (selector 0x23) as the oracle "
               "(%" PRIu64 " instructions)\n", n32);
        return;
    }
    if (shm->host_features & DIFF_HOST_COMPAT32)
        printf("32-bit: --oracle32 addr32: using 64-bit addr32 equivalents as the oracle "
               "(%" PRIu64 " instructions)\n", n32);
    else if (shm->compat32_vector >= 0)
        printf("32-bit: native compatibility-mode segment not available on this host (far jump to 0x23 "
               "raised %s, signal %d); using 64-bit addr32 equivalents as the oracle (%" PRIu64 " instructions)\n",
               vector_name(shm->compat32_vector), shm->compat32_signo, n32);
    else
        printf("32-bit: native compatibility-mode segment not available on this host (a probe at 0x23 "
               "gave wrong results); using 64-bit addr32 equivalents as the oracle (%" PRIu64 " instructions)\n",
               n32);
}

/* Does any path of case i disagree with native result r? */
static bool diverges(const struct diff_case *c, const struct diff_result *r,
                     struct diff_result mine[][DIFF_BATCH], uint32_t i, unsigned paths)
{
    for (int p = 0; p < DIFF_NPATHS; p++)
        if (((paths >> p) & 1) && diff_compare(c, r, &mine[p][i]))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);
    char path[4200];
    runner_path(&o, path, sizeof path);

    static struct native nat;
    if (native_start(&nat, path) < 0)
        return 2;
    struct gen g;
    gen_init(&g, o.seed, nat.shm->host_features);
    int rc = choose_oracle32(&o, &nat, &g);
    if (rc) {
        native_stop(&nat);
        return rc;
    }
    g.only_mode = o.mode;
    g.only_tmpl = o.tmpl;
    if (o.tmpl >= 0) {
        bool in64 = gen_tmpl_available(&g, o.tmpl, 64), in32 = gen_tmpl_available(&g, o.tmpl, 32);
        if ((o.mode == 64 && !in64) || (o.mode == 32 && !in32) || (!in64 && !in32)) {
            printf("diff-test: template %s makes no %scases on this host%s\n", o.tmpl_name,
                   o.mode ? (o.mode == 64 ? "64-bit " : "32-bit ") : "",
                   g.oracle32 == DIFF_ORACLE_ADDR32 && o.mode != 64 ? " with the addr32 oracle" : "");
            native_stop(&nat);
            return 77;
        }
    }
    struct interp_side *is = o.native_twice ? NULL : interp_side_create();
    if (!o.native_twice && !is)
        return 2;
    if (is && (o.paths & 4) && interp_side_bt_start(is) < 0)
        return 2;

    static struct diff_result mine[DIFF_NPATHS][DIFF_BATCH];
    static const char *const path_name[DIFF_NPATHS] = { "glass interp_step", "glass interp_run",
                                                        "glass bt" };
    int nt = gen_tmpl_count();
    /* [k][t]: k = 0 for 64-bit cases, 1 for 32-bit ones */
    uint64_t *tmpl_fail = calloc(2 * (size_t)nt, sizeof *tmpl_fail);
    uint64_t *tmpl_runs = calloc(2 * (size_t)nt, sizeof *tmpl_runs);
    uint64_t passed = 0, failed = 0, faults = 0, done = 0, path_fail[DIFF_NPATHS] = { 0 };
    uint64_t mode_runs[2] = { 0, 0 }, mode_fail[2] = { 0, 0 }, reruns = 0;
    time_t t0 = time(NULL);
    static struct diff_case batch_case[DIFF_BATCH];
    static struct diff_result batch_result[DIFF_BATCH];

    while (done < o.count) {
        uint32_t n = o.count - done < DIFF_BATCH ? (uint32_t)(o.count - done) : DIFF_BATCH;
        for (uint32_t i = 0; i < n; i++)
            gen_case(&g, &nat.shm->cases[i]);
        if (native_run(&nat, n) < 0)
            return 2;
        if (o.native_twice) {
            memcpy(mine[0], nat.shm->results, n * sizeof mine[0][0]);
            if (native_run(&nat, n) < 0)
                return 2;
        } else {
            for (uint32_t i = 0; i < n; i++)
                for (int p = 0; p < DIFF_NPATHS; p++)
                    if ((o.paths >> p) & 1)
                        interp_side_run(is, &nat.shm->cases[i], &mine[p][i], (enum diff_path)p);
        }
        /* Kept apart: a case that diverges runs natively once more, in the
         * shared area. */
        memcpy(batch_case, nat.shm->cases, n * sizeof batch_case[0]);
        memcpy(batch_result, nat.shm->results, n * sizeof batch_result[0]);
        for (uint32_t i = 0; i < n; i++) {
            const struct diff_case *c = &batch_case[i];
            const struct diff_result *r = &batch_result[i];
            struct diff_case same;
            if (o.native_twice) {   /* both sides ran ninsn: no RIP mapping */
                same = *c;
                same.len = same.nlen;
                c = &same;
            }
            int k = c->mode == 32;
            tmpl_runs[k * nt + c->tmpl]++;
            mode_runs[k]++;
            faults += r->vector != DIFF_NO_VECTOR;
            if (!o.native_twice && diverges(c, r, mine, i, o.paths)) {
                /* Run it natively again before calling it a divergence: this
                 * host is itself a guest of a software-assisted hypervisor,
                 * which once answered a POPCNT with a memory operand with
                 * #UD (its emulator, after a fault on the operand). */
                nat.shm->cases[0] = *c;
                if (native_run(&nat, 1) < 0)
                    return 2;
                if (!diverges(c, &nat.shm->results[0], mine, i, o.paths)) {
                    reruns++;
                    passed++;
                    continue;
                }
            }
            bool bad = false;
            for (int p = 0; p < DIFF_NPATHS; p++) {
                if (!((o.paths >> p) & 1) || (o.native_twice && p >= 1))
                    continue;
                unsigned what = diff_compare(c, r, &mine[p][i]);
                if (!what)
                    continue;
                if (failed + bad < (uint64_t)o.show)
                    diff_report(stdout, done + i, c, r, &mine[p][i], what, gen_tmpl_name(c->tmpl),
                                o.native_twice ? "native again" : path_name[p]);
                bad = true;
                path_fail[p]++;
            }
            if (!bad) {
                passed++;
                continue;
            }
            failed++;
            mode_fail[k]++;
            tmpl_fail[k * nt + c->tmpl]++;
        }
        done += n;
    }

    printf("seed %" PRIu64 ": %" PRIu64 " instructions (%" PRIu64 " raised exceptions natively) in %lds,"
           " runner restarts %" PRIu64 "\n", o.seed, done, faults, (long)(time(NULL) - t0), nat.restarts);
    if (reruns)
        printf("  %" PRIu64 " case(s) the host answered differently the second time (counted by"
               " the second answer, which glass matched)\n", reruns);
    if (!o.native_twice)
        printf("  divergences by path: interp_step %" PRIu64 ", interp_run %" PRIu64 ", bt %" PRIu64 "\n",
               path_fail[0], path_fail[1], path_fail[2]);
    if (is && (o.paths & 4)) {
        uint64_t nat_i, helper, interp;
        interp_side_bt_info(is, &nat_i, &helper, &interp);
        printf("  bt ran %" PRIu64 " instructions translated natively, %" PRIu64 " through the"
               " interpreter's handlers in translated blocks, %" PRIu64 " on the interpreter\n",
               nat_i, helper, interp);
    }
    printf("  %-10s %18s %18s\n", "template", "64-bit run/diverged", "32-bit run/diverged");
    for (int t = 0; t < nt; t++) {
        if (!tmpl_runs[t] && !tmpl_runs[nt + t])
            continue;
        char col[2][32];
        for (int k = 0; k < 2; k++) {
            if (tmpl_runs[k * nt + t])
                snprintf(col[k], sizeof col[k], "%" PRIu64 "/%" PRIu64, tmpl_runs[k * nt + t], tmpl_fail[k * nt + t]);
            else
                snprintf(col[k], sizeof col[k], "-");
        }
        printf("  %-10s %18s %18s\n", gen_tmpl_name(t), col[0], col[1]);
    }
    printf("64-bit: %" PRIu64 " instructions, %" PRIu64 " diverged\n", mode_runs[0], mode_fail[0]);
    print_oracle32(&nat, &g, mode_runs[1]);
    printf("32-bit: %" PRIu64 " instructions, %" PRIu64 " diverged\n", mode_runs[1], mode_fail[1]);
    printf("%" PRIu64 " passed, %" PRIu64 " failed\n", passed, failed);
    native_stop(&nat);
    interp_side_destroy(is);
    diff_disasm_close();
    free(tmpl_fail);
    free(tmpl_runs);
    return failed ? 1 : 0;
}
