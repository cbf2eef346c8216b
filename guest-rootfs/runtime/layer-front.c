/* The registry's front for the lab's layer store (image-build/lib/layer-store.ts).
 *
 * The catalog's layers are in Docker's store already, unpacked; a second copy as
 * registry blobs would be in every offline download. So the store keeps a second
 * name for each layer's files and a record of its tar's headers, the registry only
 * an empty placeholder of each blob's size, and a download of such a blob (after
 * `docker rmi`, `docker pull` asks the Hub mirror for it) is answered here: the
 * layer's exact tar, rebuilt from the record and the files, whose digest is the
 * blob's. Everything else (manifests, existence checks, pushes) goes to the
 * registry with `Connection: close`: dockerd keeps its connections open, and its
 * next request must come through here again. */
#define _GNU_SOURCE
#include "layer-front.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_MAX 16384
#define RECORD_MAGIC "LABTAR1\n"

int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads up to the blank line that ends a request head. Returns the head's
 * length, or 0 if there is none (the client closed, or sent more than HEAD_MAX
 * without one); `*got` says how many bytes were read in all. */
static size_t read_head(int fd, char *buf, size_t cap, size_t *got) {
    *got = 0;
    while (*got < cap) {
        ssize_t n = read(fd, buf + *got, cap - *got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        size_t from = *got > 3 ? *got - 3 : 0;
        *got += (size_t)n;
        char *end = memmem(buf + from, *got - from, "\r\n\r\n", 4);
        if (end) return (size_t)(end - buf) + 4;
    }
    return 0;
}

/* The value of header `name` (with its colon) in the head, or NULL; `*len` is its length. */
static const char *header(const char *head, size_t head_len, const char *name, size_t *len) {
    size_t name_len = strlen(name);
    const char *end = head + head_len;
    for (const char *line = memmem(head, head_len, "\r\n", 2); line && line + 2 < end;) {
        line += 2;
        const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (!eol || eol == line) return NULL;
        if ((size_t)(eol - line) > name_len && strncasecmp(line, name, name_len) == 0) {
            const char *value = line + name_len;
            while (value < eol && (*value == ' ' || *value == '\t')) value++;
            *len = (size_t)(eol - value);
            return value;
        }
        line = eol;
    }
    return NULL;
}

/* `GET /v2/<name>/blobs/sha256:<hex>`: the repository name and the digest's hex. */
static int blob_request(const char *head, char *name, size_t name_cap, char *hex) {
    const char *prefix = "GET /v2/";
    if (strncmp(head, prefix, strlen(prefix)) != 0) return 0;
    const char *start = head + strlen(prefix);
    const char *end = strpbrk(start, " ?\r");
    const char *blobs = memmem(start, end ? (size_t)(end - start) : 0, "/blobs/sha256:", 14);
    if (!end || !blobs) return 0;
    const char *digest = blobs + 14;
    if (end - digest != 64 || (size_t)(blobs - start) >= name_cap || blobs == start) return 0;
    for (const char *c = digest; c < end; c++) if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) return 0;
    /* Repository names as the registry allows them; never a way out of the store. */
    for (const char *c = start; c < blobs; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._-/", *c))) return 0;
    }
    memcpy(name, start, (size_t)(blobs - start));
    name[blobs - start] = '\0';
    if (strstr(name, "..")) return 0;
    memcpy(hex, digest, 64);
    hex[64] = '\0';
    return 1;
}

/* Sends the bytes [at, at + len) of the tar that fall within [from, to) from `fd`
 * (a file, from its start) or `bytes`. */
static int send_part(int client, uint64_t at, uint64_t len, uint64_t from, uint64_t to, int fd, const char *bytes) {
    uint64_t first = at > from ? at : from, last = at + len < to ? at + len : to;
    if (first >= last) return 0;
    if (bytes) return write_all(client, bytes + (first - at), (size_t)(last - first));
    off_t offset = (off_t)(first - at);
    for (uint64_t left = last - first; left > 0;) {
        ssize_t n = sendfile(client, fd, &offset, left > (1u << 30) ? (1u << 30) : (size_t)left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        left -= (uint64_t)n;
    }
    return 0;
}

/* Streams the tar of the layer in `dir`, or the range the request asks for. A
 * failure midway ends the connection short of its Content-Length, so Docker sees
 * an error, never a wrong layer (it also checks the digest). */
static void serve_layer(int client, const char *dir, const char *hex, const char *head, size_t head_len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/record", dir);
    FILE *record = fopen(path, "re");
    char magic[8];
    uint64_t total;
    if (!record || fread(magic, 1, 8, record) != 8 || memcmp(magic, RECORD_MAGIC, 8) != 0 || fread(&total, 8, 1, record) != 1) {
        fprintf(stderr, "lab-on-demand: %s: not a layer record\n", path);
        const char *error = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        write_all(client, error, strlen(error));
        if (record) fclose(record);
        return;
    }
    /* Docker asks for `bytes=N-` when it resumes a download. */
    uint64_t from = 0, to = total;
    size_t range_len;
    const char *range = header(head, head_len, "range:", &range_len);
    int partial = 0;
    if (range && range_len > 6 && strncmp(range, "bytes=", 6) == 0) {
        char spec[64];
        snprintf(spec, sizeof spec, "%.*s", (int)(range_len - 6), range + 6);
        char *dash;
        uint64_t first = strtoull(spec, &dash, 10);
        if (dash != spec && *dash == '-') {
            uint64_t last = dash[1] ? strtoull(dash + 1, NULL, 10) + 1 : total;
            if (first >= total || last <= first) {
                char answer[160];
                snprintf(answer, sizeof answer, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%" PRIu64 "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", total);
                write_all(client, answer, strlen(answer));
                fclose(record);
                return;
            }
            from = first;
            to = last < total ? last : total;
            partial = 1;
        }
    }
    char answer[512], content_range[96] = "";
    if (partial) snprintf(content_range, sizeof content_range, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n", from, to - 1, total);
    snprintf(answer, sizeof answer,
        "HTTP/1.1 %s\r\nContent-Length: %" PRIu64 "\r\n%sContent-Type: application/octet-stream\r\n"
        "Docker-Content-Digest: sha256:%s\r\nDocker-Distribution-Api-Version: registry/2.0\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n",
        partial ? "206 Partial Content" : "200 OK", to - from, content_range, hex);
    if (write_all(client, answer, strlen(answer)) != 0) goto done;

    uint64_t at = 0;
    char *bytes = NULL;
    for (int kind; at < to && (kind = fgetc(record)) != EOF;) {
        if (kind == 'S') {
            uint32_t len;
            if (fread(&len, 4, 1, record) != 1 || !(bytes = realloc(bytes, len ? len : 1)) || fread(bytes, 1, len, record) != len) break;
            if (send_part(client, at, len, from, to, -1, bytes) != 0) break;
            at += len;
        } else if (kind == 'F') {
            uint64_t size;
            uint32_t n;
            if (fread(&size, 8, 1, record) != 1 || fread(&n, 4, 1, record) != 1) break;
            snprintf(path, sizeof path, "%s/%" PRIu32, dir, n);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            struct stat st;
            if (fd < 0 || fstat(fd, &st) != 0 || (uint64_t)st.st_size != size) {
                fprintf(stderr, "lab-on-demand: %s: missing or not %" PRIu64 " bytes\n", path, size);
                if (fd >= 0) close(fd);
                break;
            }
            int sent = send_part(client, at, size, from, to, fd, NULL);
            close(fd);
            if (sent != 0) break;
            at += size;
        } else {
            fprintf(stderr, "lab-on-demand: %s/record: damaged\n", dir);
            break;
        }
    }
    free(bytes);
    if (at < to) fprintf(stderr, "lab-on-demand: layer sha256:%s ended at byte %" PRIu64 " of %" PRIu64 "\n", hex, at, to);
done:
    fclose(record);
}

/* The head with its Connection header replaced by `Connection: close`. */
static size_t close_after(const char *head, size_t len, char *out) {
    const char *end = head + len - 2; /* the blank line's CRLF */
    const char *line = head;
    size_t out_len = 0;
    while (line < end) {
        const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
        size_t line_len = (size_t)(eol - line) + 2;
        if (line == head || strncasecmp(line, "connection:", 11) != 0) {
            memcpy(out + out_len, line, line_len);
            out_len += line_len;
        }
        line += line_len;
    }
    const char *tail = "Connection: close\r\n\r\n";
    memcpy(out + out_len, tail, strlen(tail));
    return out_len + strlen(tail);
}

int layer_front(int client, const char *store, const char *repositories, char *pending, size_t *pending_len) {
    char buf[HEAD_MAX + 1];
    size_t got;
    size_t head_len = read_head(client, buf, HEAD_MAX, &got);
    if (got == 0) return -1;
    buf[got] = '\0'; /* the head's parsers stop at it */
    if (head_len == 0) {
        /* No head to read: passed on as it came. */
        memcpy(pending, buf, got);
        *pending_len = got;
        return 0;
    }
    char name[256], hex[65], dir[2048], link[4096];
    if (blob_request(buf, name, sizeof name, hex)) {
        snprintf(dir, sizeof dir, "%s/%s", store, hex);
        /* The registry's own rule: a repository serves the blobs linked into it. */
        snprintf(link, sizeof link, "%s/%s/_layers/sha256/%s/link", repositories, name, hex);
        char record[2100];
        snprintf(record, sizeof record, "%s/record", dir);
        if (access(record, R_OK) == 0 && access(link, R_OK) == 0) {
            serve_layer(client, dir, hex, buf, head_len);
            return 1;
        }
    }
    size_t rewritten = close_after(buf, head_len, pending);
    memcpy(pending + rewritten, buf + head_len, got - head_len);
    *pending_len = rewritten + got - head_len;
    return 0;
}
