/* lab-on-demand: holds a service's TCP port and starts the service at its first
 * connection, then relays every connection to it.
 *
 *   lab-on-demand [--layers STORE REPOSITORIES] PORT SOCKET PROGRAM [ARG]...
 *
 * The lab's registry (a 21 MB Go program) is needed only by `docker pull`,
 * `docker push` and lessons about registries. Started at boot it competed
 * with dockerd for the one emulated CPU, and its ~19 MB of memory went into
 * the shipped snapshot that every first visit downloads. This program listens
 * on PORT (IPv6 and IPv4), starts PROGRAM (which must listen on the Unix
 * socket SOCKET: no second TCP port to collide with a learner's `-p`) when the
 * first client connects, and starts it again at a later connection if it died.
 * Each connection is relayed by its own child. With --layers (the registry),
 * each request passes layer-front.c first, which answers downloads of the
 * catalog's layers from the lab's layer store. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "layer-front.h"

/* How long a connection waits for the service to accept (a cold start under emulation). */
#define START_TIMEOUT_MS 120000

static volatile pid_t service = -1;

static int listen_on(int port) {
    int one = 1, zero = 0;
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        struct sockaddr_in6 addr = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(fd, 64) == 0) return fd;
        close(fd);
    }
    /* A kernel without IPv6: IPv4 only. */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 64) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Connects to the service, retrying while it starts. */
static int connect_service(const char *socket_path) {
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    strncpy(addr.sun_path, socket_path, sizeof addr.sun_path - 1);
    long deadline = now_ms() + START_TIMEOUT_MS;
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
        int err = errno;
        close(fd);
        if ((err != ECONNREFUSED && err != ENOENT && err != EINTR) || now_ms() > deadline) return -1;
        usleep(100000);
    }
}

/* Copies both ways until both directions are closed; a half-close is passed on. */
static void relay(int a, int b) {
    struct pollfd fds[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
    char buf[65536];
    int open_dirs = 2;
    while (open_dirs > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            int to = i == 0 ? b : a;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return;
                shutdown(to, SHUT_WR);
                fds[i].fd = -1;
                open_dirs--;
                continue;
            }
            if (write_all(to, buf, (size_t)n) != 0) return;
        }
    }
}

static void start_service(const char *socket_path, char **argv) {
    /* A socket file left by a service that died would look like a live one. */
    unlink(socket_path);
    /* SIGCHLD waits until `service` names the child, so its death cannot go unseen. */
    sigset_t child, previous;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    sigprocmask(SIG_BLOCK, &child, &previous);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigprocmask(SIG_SETMASK, &previous, NULL);
        /* Ends with this holder, so a restarted holder never finds a stray service. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execvp(argv[0], argv);
        fprintf(stderr, "lab-on-demand: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    service = pid;
    sigprocmask(SIG_SETMASK, &previous, NULL);
    if (pid < 0) fprintf(stderr, "lab-on-demand: fork: %s\n", strerror(errno));
    else fprintf(stderr, "lab-on-demand: started %s (pid %d) for a first connection\n", argv[0], (int)pid);
}

/* Reaps relays as they end, and notices at once a service that exited, so the
 * next connection starts it again. Logging waits for the main loop. */
static volatile sig_atomic_t service_died, service_status;

static void on_child(int sig) {
    (void)sig;
    int saved = errno, status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == service) {
            service = -1;
            service_status = status;
            service_died = 1;
        }
    }
    errno = saved;
}

static void report_death(void) {
    if (!service_died) return;
    service_died = 0;
    fprintf(stderr, "lab-on-demand: service exited (status %d); the next connection starts it again\n", (int)service_status);
}

int main(int argc, char **argv) {
    const char *store = NULL, *repositories = NULL;
    if (argc > 3 && strcmp(argv[1], "--layers") == 0) {
        store = argv[2];
        repositories = argv[3];
        argv += 3;
        argc -= 3;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: lab-on-demand [--layers STORE REPOSITORIES] PORT SOCKET PROGRAM [ARG]...\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *socket_path = argv[2];
    if (strlen(socket_path) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
        fprintf(stderr, "lab-on-demand: socket path too long: %s\n", socket_path);
        return 2;
    }
    int listener = listen_on(port);
    if (listener < 0) {
        fprintf(stderr, "lab-on-demand: cannot listen on port %d: %s\n", port, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction child = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP };
    sigaction(SIGCHLD, &child, NULL);
    for (;;) {
        report_death();
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno != EINTR && errno != ECONNABORTED) usleep(100000);
            continue;
        }
        report_death();
        if (service < 0) start_service(socket_path, argv + 3);
        pid_t pid = fork();
        if (pid == 0) {
            close(listener);
            char pending[FRONT_PENDING_MAX];
            size_t pending_len = 0;
            if (store) {
                int answered = layer_front(client, store, repositories, pending, &pending_len);
                if (answered != 0) _exit(answered < 0);
            }
            int upstream = connect_service(socket_path);
            if (upstream < 0) {
                fprintf(stderr, "lab-on-demand: the service did not accept on %s\n", socket_path);
                _exit(1);
            }
            if (write_all(upstream, pending, pending_len) != 0) _exit(1);
            relay(client, upstream);
            _exit(0);
        }
        close(client);
    }
}
