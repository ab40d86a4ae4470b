/* Sink manifests: committed-file lists per batch, compaction bounding the
 * directory, stale files after a crash mid-compaction, corruption. */
#include "test.h"
#include "core/mem.h"
#include "core/status.h"
#include "state/ckpt_file.h"
#include "state/manifest.h"

#include <dirent.h>
#include <sys/wait.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

static void rmrf(const char *p)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0) fprintf(stderr, "  rm -rf failed\n");
}

static int entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    if (!d) return -1;
    while ((de = readdir(d)) != NULL) n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The name of file j of batch b; batch 7 has awkward characters. */
static void file_name(char *out, size_t n, int64_t b, int j)
{
    if (b == 7 && j == 1) snprintf(out, n, "part-%" PRId64 "-%d\\odd\nname.parquet", b, j);
    else snprintf(out, n, "part-%05" PRId64 "-%d.parquet", b, j);
}

/* Independent expectation: batches 0..last, files 0..(b % 3) each, in order. */
static int list_matches(const sl_manifest_files *f, int64_t last)
{
    size_t k = 0;
    char name[128];
    for (int64_t b = 0; b <= last; b++)
        for (int j = 0; j <= b % 3; j++) {
            file_name(name, sizeof name, b, j);
            if (k >= f->n || strcmp(f->paths[k], name) != 0) {
                fprintf(stderr, "  at %zu: %s vs %s\n", k, k < f->n ? f->paths[k] : "(end)", name);
                return 0;
            }
            k++;
        }
    return k == f->n;
}

static sl_status commit_batch(sl_manifest *m, int64_t b, sl_error *err)
{
    char names[3][128];
    const char *ptrs[3];
    int n = (int)(b % 3) + 1;
    for (int j = 0; j < n; j++) {
        file_name(names[j], sizeof names[j], b, j);
        ptrs[j] = names[j];
    }
    return sl_manifest_commit(m, b, ptrs, (size_t)n, err);
}

TEST(ckpt_manifest_commit_compact_read)
{
    char tmpl[] = "/tmp/sl_manifest_XXXXXX";
    char *dir = mkdtemp(tmpl);
    REQUIRE(dir);
    char mdir[128];
    snprintf(mdir, sizeof mdir, "%s/%s", dir, SL_MANIFEST_DIR);
    sl_error err = {0};
    sl_manifest_files f;
    bool exists;
    REQUIRE(sl_manifest_read(dir, &f, &exists, &err) == SL_OK);
    CHECK(!exists && f.n == 0);

    sl_manifest *m;
    REQUIRE(sl_manifest_open(dir, 0, &m, &err) == SL_OK);
    CHECK_INT(sl_manifest_last_batch(m), -1);
    int max_entries = 0;
    for (int64_t b = 0; b < 25; b++) {
        REQUIRE(commit_batch(m, b, &err) == SL_OK);
        CHECK(list_matches(sl_manifest_files_get(m), b));
        REQUIRE(sl_manifest_read(dir, &f, &exists, &err) == SL_OK);
        CHECK(exists && list_matches(&f, b));
        sl_manifest_files_fini(&f);
        int n = entries_in(mdir);
        if (n > max_entries) max_entries = n;
    }
    CHECK(max_entries <= 10);
    /* After batch 24: 19.compact plus 20..24. */
    CHECK_INT(entries_in(mdir), 6);
    /* A re-run of a recorded batch is refused: the sink must skip it. */
    CHECK(commit_batch(m, 24, &err) == SL_ERR_INTERNAL);
    sl_manifest_free(m);

    /* Reopen: state comes back from disk. */
    REQUIRE(sl_manifest_open(dir, 0, &m, &err) == SL_OK);
    CHECK_INT(sl_manifest_last_batch(m), 24);
    CHECK(list_matches(sl_manifest_files_get(m), 24));

    /* A crash after writing 29.compact but before removing what it
     * supersedes: put a stale plain batch back; readers must not count it. */
    for (int64_t b = 25; b < 30; b++) REQUIRE(commit_batch(m, b, &err) == SL_OK);
    char stale[160], keep[160];
    snprintf(keep, sizeof keep, "%s/29.compact", mdir);
    snprintf(stale, sizeof stale, "%s/27", mdir);
    const char *payload = "v1\npart-00027-0.parquet\n";
    REQUIRE(sl_ckpt_file_write(stale, SL_CKPT_KIND_MANIFEST, payload, strlen(payload), &err) == SL_OK);
    snprintf(stale, sizeof stale, "%s/19.compact", mdir);
    REQUIRE(sl_ckpt_file_write(stale, SL_CKPT_KIND_MANIFEST, "v1\n", 3, &err) == SL_OK);
    REQUIRE(sl_manifest_read(dir, &f, &exists, &err) == SL_OK);
    CHECK(list_matches(&f, 29));
    sl_manifest_files_fini(&f);
    sl_manifest_free(m);

    /* A corrupt manifest is refused with its name. */
    REQUIRE(truncate(keep, 20) == 0);
    CHECK(sl_manifest_open(dir, 0, &m, &err) == SL_ERR_CHECKPOINT);
    CHECK(strstr(err.msg, keep) != NULL);
    CHECK(sl_manifest_read(dir, &f, &exists, &err) == SL_ERR_CHECKPOINT);
    CHECK(f.n == 0);
    rmrf(dir);
}

TEST(ckpt_manifest_parse_errors)
{
    sl_manifest_files f = {0};
    sl_error err = {0};
    CHECK(sl_manifest_parse("v2\na\n", 5, "m", &f, &err) == SL_ERR_CHECKPOINT);
    CHECK(sl_manifest_parse("v1\na", 4, "m", &f, &err) == SL_ERR_CHECKPOINT);
    CHECK(strstr(err.msg, "unterminated") != NULL);
    CHECK(sl_manifest_parse("v1\na\\x\n", 7, "m", &f, &err) == SL_ERR_CHECKPOINT);
    CHECK(sl_manifest_parse("v1\n\n", 4, "m", &f, &err) == SL_ERR_CHECKPOINT);
    sl_manifest_files_fini(&f);
    REQUIRE(sl_manifest_parse("v1\na\\\\b\\nc\nd\n", 13, "m", &f, &err) == SL_OK);
    REQUIRE(f.n == 2);
    CHECK_STR(f.paths[0], "a\\b\nc");
    CHECK_STR(f.paths[1], "d");
    sl_manifest_files_fini(&f);
}

TEST(ckpt_manifest_reader_during_compaction)
{
    /* A writer commits 300 batches, compacting every 3, while this process
     * reads the manifest over and over: every read must be exactly the
     * files of batches 0..L for some L, never a partial or doubled list. */
    char tmpl[] = "/tmp/sl_manifest_rd_XXXXXX";
    char *dir = mkdtemp(tmpl);
    REQUIRE(dir);
    sl_error err = {0};
    sl_manifest *m;
    REQUIRE(sl_manifest_open(dir, 3, &m, &err) == SL_OK);
    REQUIRE(commit_batch(m, 0, &err) == SL_OK);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        for (int64_t b = 1; b < 300; b++)
            if (commit_batch(m, b, &err) != SL_OK) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    int reads = 0, bad = 0, last_seen = -1;
    for (;;) {
        int status;
        pid_t done = waitpid(pid, &status, WNOHANG);
        sl_manifest_files f;
        bool exists;
        if (sl_manifest_read(dir, &f, &exists, &err) != SL_OK) {
            fprintf(stderr, "  read: %s\n", err.msg);
            bad++;
        } else {
            size_t want = 0;
            int64_t last = -1;
            while (want < f.n) { last++; want += (size_t)(last % 3) + 1; }
            if (want != f.n || !list_matches(&f, last) || last < last_seen) bad++;
            last_seen = (int)last;
            reads++;
        }
        sl_manifest_files_fini(&f);
        if (done == pid) {
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            break;
        }
    }
    close(fds[0]);
    CHECK_INT(bad, 0);
    CHECK_INT(last_seen, 299);
    if (getenv("SL_TEST_VERBOSE")) fprintf(stderr, "  %d concurrent reads\n", reads);
    sl_manifest_free(m);
    rmrf(dir);
}

TEST(ckpt_manifest_alloc_faults)
{
    /* Fail each allocation of open + 12 commits (one compaction) in turn;
     * afterwards the manifest reopens and lists exactly batches 0..L. */
    char tmpl[] = "/tmp/sl_manifest_oom_XXXXXX";
    char *root = mkdtemp(tmpl);
    REQUIRE(root);
    sl_error err = {0};
    int finished = 0;
    for (long k = 1; k < 2000 && !finished; k++) {
        char dir[200];
        snprintf(dir, sizeof dir, "%s/s%ld", root, k);
        sl_manifest *m = NULL;
        sl_mem_fault_arm(k, 0);
        sl_status st = sl_manifest_open(dir, 5, &m, &err);
        for (int64_t b = 0; st == SL_OK && b < 12; b++) st = commit_batch(m, b, &err);
        long hits = sl_mem_fault_hits();
        sl_mem_fault_arm(0, 0);
        if (st != SL_OK) CHECK(err.code == SL_ERR_NOMEM);
        sl_manifest_free(m);
        if (!hits) finished = 1;
        sl_manifest_files f;
        bool exists;
        if (sl_manifest_read(dir, &f, &exists, &err) != SL_OK) {
            fprintf(stderr, "  fault %ld: %s\n", k, err.msg);
            CHECK(0);
            continue;
        }
        size_t want = 0;
        int64_t last = -1;
        while (want < f.n) { last++; want += (size_t)(last % 3) + 1; }
        CHECK(want == f.n && list_matches(&f, last));
        sl_manifest_files_fini(&f);
    }
    CHECK(finished);
    rmrf(root);
}
