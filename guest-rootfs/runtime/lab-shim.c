/* lab-shim: installed as /usr/bin/containerd-shim-runc-v2; containerd's own
 * shim moves to /usr/lib/lab/containerd-shim-runc-v2.
 *
 * For every container containerd runs the shim binary three times: `start`
 * (which starts the long-lived shim server and prints its socket address), the
 * server itself, and `delete` once the server has gone. Each start of that
 * 10 MB Go program costs 1-2 s under emulation (package init, relocations), so
 * `start` and `delete` are done here, in C, exactly as containerd 1.7's runc v2
 * shim does them; the server is still containerd's own program. Anything
 * else, or anything unexpected, is handed to the real shim unchanged.
 *
 * One server for all of Docker's containers: while the keeper container
 * (lab-shim-keeper) runs, `start` hands containerd the keeper's server, which
 * then serves the new container too. This is the runc v2 shim's own grouping,
 * the one Kubernetes uses for the containers of a pod; the keeper makes sure
 * the server never runs out of containers and exits. It saves a start of the
 * Go server per `docker run`. Without a live keeper, one server per container. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REAL_SHIM "/usr/lib/lab/containerd-shim-runc-v2"
#define SOCKET_DIR "/run/containerd/s"
#define GROUP_NS "moby"
#define KEEPER_ID "lab-keeper"
#define KEEPER_PID "/run/containerd/io.containerd.runtime.v2.task/" GROUP_NS "/" KEEPER_ID "/init.pid"

extern char **environ;

struct args {
    const char *ns, *address, *id, *bundle, *action;
    int debug;
};

static void parse(int argc, char **argv, struct args *a) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] == '-' && s[1] == '-') s++; /* Go flags take -x and --x */
        if (strcmp(s, "-debug") == 0) a->debug = 1;
        else if (s[0] == '-' && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(s, "-namespace") == 0) a->ns = v;
            else if (strcmp(s, "-address") == 0) a->address = v;
            else if (strcmp(s, "-id") == 0) a->id = v;
            else if (strcmp(s, "-bundle") == 0) a->bundle = v;
            /* -publish-binary, -socket: not needed here */
        } else if (s[0] != '-' && !a->action) a->action = s;
        else a->action = "?"; /* more than one action: let the real shim complain */
    }
}

static void write_file_atomic(const char *name, const char *data) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, ".%s.lab", name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    ssize_t n = write(fd, data, strlen(data));
    close(fd);
    if (n == (ssize_t)strlen(data)) rename(tmp, name);
    else unlink(tmp);
}

static int socket_path(char *path, size_t size, const char *ns, const char *id) {
    return snprintf(path, size, SOCKET_DIR "/lab-%s-%s", ns, id) < (int)size ? 0 : -1;
}

/* The keeper's server, if the keeper runs and its server answers. */
static int keeper_server(const struct args *a, char *path, size_t size) {
    if (strcmp(a->ns, GROUP_NS) != 0 || strcmp(a->id, KEEPER_ID) == 0) return -1;
    FILE *f = fopen(KEEPER_PID, "r");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1) pid = 0;
        fclose(f);
    }
    if (pid <= 0 || kill(pid, 0) != 0 || socket_path(path, size, GROUP_NS, KEEPER_ID) != 0) return -1;
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strcpy(sa.sun_path, path);
    int ok = sock >= 0 && connect(sock, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (sock >= 0) close(sock);
    return ok ? 0 : -1;
}

static void drain_stdin(void) {
    /* containerd sends the runtime options on stdin; Docker sets no shim cgroup, so they are only drained. */
    char buf[4096];
    while (read(0, buf, sizeof buf) > 0) {}
}

static int print_address(const char *address) {
    fputs(address, stdout);
    return fflush(stdout) == 0 ? 0 : -1;
}

/* What the Go shim's `start` does: listen on the shim's socket, start the
 * server with the socket as fd 3, record the address, print it; or, with a
 * live keeper, record and print the keeper server's address. */
static int start(const struct args *a) {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char address[sizeof path + 8];
    if (keeper_server(a, path, sizeof path) == 0) {
        snprintf(address, sizeof address, "unix://%s", path);
        write_file_atomic("address", address);
        drain_stdin();
        return print_address(address);
    }
    if (socket_path(path, sizeof path, a->ns, a->id) != 0) return -1;
    mkdir("/run/containerd", 0711);
    mkdir(SOCKET_DIR, 0700);
    unlink(path);
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strcpy(sa.sun_path, path);
    if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(sock, 128) < 0) return -1;

    snprintf(address, sizeof address, "unix://%s", path);
    write_file_atomic("address", address);

    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (sock != 3) {
            dup2(sock, 3);
            close(sock);
        }
        for (int fd = 4; fd < 1024; fd++) close(fd);
        setenv("GOMAXPROCS", "4", 1);
        const char *argv[] = { REAL_SHIM, "-namespace", a->ns, "-id", a->id, "-address", a->address, a->debug ? "-debug" : NULL, NULL };
        execve(REAL_SHIM, (char **)argv, environ);
        _exit(127);
    }
    close(sock);
    drain_stdin();

    /* The shim's OOM score is containerd's plus one, as the Go shim sets it. */
    char file[64];
    snprintf(file, sizeof file, "/proc/%d/oom_score_adj", (int)getppid());
    FILE *f = fopen(file, "r");
    int score = 0;
    if (f) {
        if (fscanf(f, "%d", &score) != 1) score = 0;
        fclose(f);
    }
    if (score < 1000) score++;
    snprintf(file, sizeof file, "/proc/%d/oom_score_adj", (int)pid);
    f = fopen(file, "w");
    if (f) {
        fprintf(f, "%d", score);
        fclose(f);
    }
    return print_address(address);
}

/* The value of "key":"..." in a small JSON file, or NULL. */
static char *json_string(const char *file, const char *key, char *out, size_t size) {
    FILE *f = fopen(file, "r");
    if (!f) return NULL;
    char data[8192];
    size_t len = fread(data, 1, sizeof data - 1, f);
    fclose(f);
    data[len] = 0;
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    char *at = strstr(data, pattern);
    if (!at) return NULL;
    at += strlen(pattern);
    char *end = strchr(at, '"');
    if (!end || (size_t)(end - at) >= size) return NULL;
    memcpy(out, at, (size_t)(end - at));
    out[end - at] = 0;
    return out;
}

static size_t varint(uint8_t *p, uint64_t v) {
    size_t n = 0;
    do {
        p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

/* What the Go shim's `delete` does after its server has gone: make sure the
 * runtime forgot the container and its rootfs is unmounted, then answer with a
 * task.DeleteResponse (protobuf) saying it was killed. Normally the server has
 * already done both, and this only answers. */
static int delete(const struct args *a) {
    char bundle[4096], file[4200], root[1024], state[2200];
    snprintf(bundle, sizeof bundle, "%s", a->bundle);
    snprintf(file, sizeof file, "%s/options.json", bundle);
    if (!json_string(file, "root", root, sizeof root)) strcpy(root, "/run/containerd/runc");
    snprintf(state, sizeof state, "%s/%s/%s", root, a->ns, a->id);
    struct stat st;
    if (stat(state, &st) == 0 || errno != ENOENT) {
        /* Still known to the runtime (the server died): the Go shim knows how to clean up. */
        return -1;
    }
    snprintf(file, sizeof file, "%s/rootfs", bundle);
    while (umount2(file, MNT_DETACH) == 0) {}

    snprintf(file, sizeof file, "%s/init.pid", bundle);
    unsigned pid = 0;
    FILE *f = fopen(file, "r");
    if (f) {
        if (fscanf(f, "%u", &pid) != 1) pid = 0;
        fclose(f);
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint8_t ts[24], msg[64];
    size_t tn = 0, n = 0;
    ts[tn++] = 0x08; /* seconds */
    tn += varint(ts + tn, (uint64_t)now.tv_sec);
    if (now.tv_nsec) {
        ts[tn++] = 0x10; /* nanos */
        tn += varint(ts + tn, (uint64_t)now.tv_nsec);
    }
    if (pid) {
        msg[n++] = 0x08; /* pid */
        n += varint(msg + n, pid);
    }
    msg[n++] = 0x10; /* exit_status: 128 + SIGKILL */
    n += varint(msg + n, 128 + SIGKILL);
    msg[n++] = 0x1a; /* exited_at */
    msg[n++] = (uint8_t)tn;
    memcpy(msg + n, ts, tn);
    n += tn;
    return fwrite(msg, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    struct args a;
    parse(argc, argv, &a);
    if (a.action && a.ns && a.id && a.address) {
        if (strcmp(a.action, "start") == 0 && start(&a) == 0) return 0;
        if (strcmp(a.action, "delete") == 0 && a.bundle && delete(&a) == 0) return 0;
    }
    argv[0] = (char *)REAL_SHIM;
    execv(REAL_SHIM, argv);
    perror("lab-shim: exec " REAL_SHIM);
    return 127;
}
