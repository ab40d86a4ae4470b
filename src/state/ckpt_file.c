/* Atomic, checksummed checkpoint files (see ckpt_file.h for the layout).
 * Everything the driver needs to survive a crash rests on the sequence in
 * sl_ckpt_file_write: temp file, fsync, rename, fsync of the directory. */
#include "state/ckpt_file.h"
#include "state/crc32c.h"
#include "core/mem.h"
#include "core/status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static sl_ckpt_write_fn write_fn;
static sl_ckpt_step_fn step_fn;
static unsigned long temp_seq;

void sl_ckpt_file_set_write_fn(sl_ckpt_write_fn fn) { write_fn = fn; }
void sl_ckpt_file_set_step_fn(sl_ckpt_step_fn fn) { step_fn = fn; }

static void step(const char *what, const char *path)
{
    if (step_fn) step_fn(what, path);
}

const char *sl_ckpt_kind_name(int kind)
{
    switch (kind) {
    case SL_CKPT_KIND_METADATA: return "metadata";
    case SL_CKPT_KIND_OFFSETS: return "offsets";
    case SL_CKPT_KIND_COMMIT: return "commit";
    case SL_CKPT_KIND_STATE_SNAPSHOT: return "state snapshot";
    case SL_CKPT_KIND_STATE_DELTA: return "state delta";
    case SL_CKPT_KIND_MANIFEST: return "manifest";
    case SL_CKPT_KIND_STATE_DIR: return "state directory list";
    default: return "unknown";
    }
}

static void put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint16_t get_u16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

void sl_ckpt_file_header(unsigned char out[SL_CKPT_HEADER_SIZE], int kind,
                         const void *payload, size_t len)
{
    memcpy(out, "SLCK", 4);
    put_u16(out + 4, SL_CKPT_FORMAT_VERSION);
    put_u16(out + 6, (uint16_t)kind);
    put_u64(out + 8, (uint64_t)len);
    put_u32(out + 16, sl_crc32c(0, payload, len));
    put_u32(out + 20, sl_crc32c(0, out, 20));
}

sl_status sl_ckpt_file_decode(const void *data, size_t n, int kind, const char *name,
                              const void **out_payload, size_t *out_len, sl_error *err)
{
    const unsigned char *p = data;
    if (!name) name = "(checkpoint file)";
    if (n < SL_CKPT_HEADER_SIZE)
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "checkpoint file %s is truncated: %zu bytes, shorter than its %d-byte header",
                      name, n, SL_CKPT_HEADER_SIZE);
    if (memcmp(p, "SLCK", 4) != 0)
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "checkpoint file %s is not a sluice checkpoint file (bad magic)", name);
    if (get_u32(p + 20) != sl_crc32c(0, p, 20))
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "checkpoint file %s is corrupt: header checksum mismatch", name);
    uint16_t version = get_u16(p + 4);
    if (version != SL_CKPT_FORMAT_VERSION)
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "checkpoint file %s has format version %u; this sluice reads version %d",
                      name, (unsigned)version, SL_CKPT_FORMAT_VERSION);
    uint16_t got_kind = get_u16(p + 6);
    if (kind != SL_CKPT_KIND_ANY && got_kind != kind)
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "checkpoint file %s holds %s data where %s was expected", name,
                      sl_ckpt_kind_name(got_kind), sl_ckpt_kind_name(kind));
    uint64_t len = get_u64(p + 8);
    if (len != (uint64_t)(n - SL_CKPT_HEADER_SIZE))
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "checkpoint file %s is %s: header says %llu payload bytes, file has %zu",
                      name, len > (uint64_t)(n - SL_CKPT_HEADER_SIZE) ? "truncated" : "overlong",
                      (unsigned long long)len, n - SL_CKPT_HEADER_SIZE);
    if (get_u32(p + 16) != sl_crc32c(0, p + SL_CKPT_HEADER_SIZE, (size_t)len))
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "checkpoint file %s is corrupt: payload checksum mismatch", name);
    if (out_payload) *out_payload = p + SL_CKPT_HEADER_SIZE;
    if (out_len) *out_len = (size_t)len;
    return SL_OK;
}

static sl_status io_err(sl_error *err, const char *what, const char *path, int e)
{
    const char *hint = "";
    if (e == ENOSPC || e == EDQUOT || e == EFBIG) hint = " (disk or file-size limit full)";
    else if (e == EACCES || e == EPERM || e == EROFS) hint = " (no write permission)";
    sl_err(err, SL_ERR_IO, "checkpoint: cannot %s %s: %s%s", what, path, strerror(e), hint);
    errno = e;
    return SL_ERR_IO;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write_fn ? write_fn(fd, s, n) : write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) { errno = ENOSPC; return -1; }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Splits path into its directory (heap) and base name (borrowed). */
static char *dir_of(const char *path, const char **out_base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) { *out_base = path; return sl_strdup("."); }
    *out_base = slash + 1;
    if (slash == path) return sl_strdup("/");
    return sl_strndup(path, (size_t)(slash - path));
}

sl_status sl_ckpt_dir_sync(const char *dir, sl_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_err(err, "open directory", dir, errno);
    if (fsync(fd) != 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return io_err(err, "fsync directory", dir, e);
    }
    close(fd);
    return SL_OK;
}

sl_status sl_ckpt_file_write(const char *path, int kind, const void *data, size_t len,
                             sl_error *err)
{
    const char *base;
    char *dir = dir_of(path, &base);
    if (!dir) return sl_err_oom(err);
    size_t tmp_cap = strlen(path) + 64;
    char *tmp = sl_malloc(tmp_cap);
    if (!tmp) { sl_free(dir); return sl_err_oom(err); }
    /* Hidden, unique per process and call: a concurrent writer of the same
     * name cannot clobber our temporary, and scanners skip dot-files. */
    snprintf(tmp, tmp_cap, "%s/.%s.tmp-%ld-%lu", dir, base, (long)getpid(), ++temp_seq);

    unsigned char hdr[SL_CKPT_HEADER_SIZE];
    sl_ckpt_file_header(hdr, kind, data, len);
    sl_status st = SL_OK;

    step("open", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = io_err(err, "create a file in", dir, errno);
        goto out;
    }
    step("write", path);
    if (write_all(fd, hdr, sizeof hdr) != 0 || write_all(fd, data, len) != 0) {
        st = io_err(err, "write", path, errno);
        close(fd);
        goto unlink_tmp;
    }
    step("fsync", path);
    if (fsync(fd) != 0) {
        st = io_err(err, "fsync", path, errno);
        close(fd);
        goto unlink_tmp;
    }
    if (close(fd) != 0) {
        st = io_err(err, "close", path, errno);
        goto unlink_tmp;
    }
    step("rename", path);
    if (rename(tmp, path) != 0) {
        st = io_err(err, "rename into place", path, errno);
        goto unlink_tmp;
    }
    step("dirsync", path);
    st = sl_ckpt_dir_sync(dir, err);
    goto out;

unlink_tmp:
    unlink(tmp);
out:
    sl_free(tmp);
    sl_free(dir);
    return st;
}

sl_status sl_ckpt_file_read(const char *path, int kind, void **out_payload,
                            size_t *out_len, sl_error *err)
{
    *out_payload = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_err(err, "open", path, errno);
    struct stat stt;
    if (fstat(fd, &stt) != 0) {
        int e = errno;
        close(fd);
        return io_err(err, "stat", path, e);
    }
    if (!S_ISREG(stt.st_mode)) {
        close(fd);
        return sl_err(err, SL_ERR_CHECKPOINT, "checkpoint file %s is not a regular file", path);
    }
    size_t n = (size_t)stt.st_size;
    unsigned char *img = sl_malloc(n + 1);
    if (!img) { close(fd); return sl_err_oom(err); }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, img + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            sl_free(img);
            return io_err(err, "read", path, e);
        }
        if (r == 0) break; /* shrank under us: decode reports the truncation */
        got += (size_t)r;
    }
    close(fd);
    const void *payload;
    size_t len;
    sl_status st = sl_ckpt_file_decode(img, got, kind, path, &payload, &len, err);
    if (st != SL_OK) { sl_free(img); return st; }
    /* Payload moves to the front so the caller frees one block. */
    memmove(img, payload, len);
    img[len] = 0;
    *out_payload = img;
    *out_len = len;
    return SL_OK;
}

bool sl_ckpt_file_exists(const char *path)
{
    struct stat stt;
    return stat(path, &stt) == 0;
}

bool sl_ckpt_file_is_temp(const char *name)
{
    return name[0] == '.' && strstr(name, ".tmp-") != NULL;
}

static int remove_flat_at(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    DIR *d = fdopendir(fd);
    if (!d) { close(fd); return -1; }
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) unlinkat(fd, de->d_name, 0);
    closedir(d);
    return unlinkat(parent, name, AT_REMOVEDIR);
}

int sl_ckpt_dir_remove_flat(const char *dir)
{
    return remove_flat_at(AT_FDCWD, dir);
}

void sl_ckpt_dir_clean_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    int fd = dirfd(d);
    while ((de = readdir(d)) != NULL)
        if (sl_ckpt_file_is_temp(de->d_name) && unlinkat(fd, de->d_name, 0) != 0 &&
            (errno == EISDIR || errno == EPERM))
            remove_flat_at(fd, de->d_name);
    closedir(d);
}

sl_status sl_ckpt_mkdirs(const char *path, sl_error *err)
{
    char *p = sl_strdup(path);
    if (!p) return sl_err_oom(err);
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            sl_status st = io_err(err, "create directory", p, errno);
            sl_free(p);
            return st;
        }
        struct stat stt;
        if (stat(p, &stt) != 0 || !S_ISDIR(stt.st_mode)) {
            sl_status st = sl_err(err, SL_ERR_IO,
                                  "checkpoint: %s exists and is not a directory", p);
            sl_free(p);
            return st;
        }
        p[i] = c;
    }
    sl_free(p);
    return SL_OK;
}
