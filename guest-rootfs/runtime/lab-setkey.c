/* lab-setkey: does what dockerd's `libnetwork-setkey` prestart hook does — tell
 * dockerd which network namespace a new container got — without re-executing
 * the 66 MB dockerd binary for every container. Under emulation that re-exec
 * was most of the cost of a `docker run`.
 *
 * Called by the OCI runtime as: libnetwork-setkey [-exec-root=DIR] <container-id> <controller-id>
 * with the container state JSON on stdin. Speaks dockerd's external-key protocol:
 * one JSON object on <exec-root>/libnetwork/<controller-id>.sock, reply "success". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "lab-setkey: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    const char *exec_root = "/run/docker";
    const char *ids[2] = {0};
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-exec-root=", 11) == 0) exec_root = argv[i] + 11;
        else if (strncmp(argv[i], "--exec-root=", 12) == 0) exec_root = argv[i] + 12;
        else if (argv[i][0] != '-' && n < 2) ids[n++] = argv[i];
    }
    if (n < 2) return fail("expects <container-id> <controller-id>");

    char state[65536];
    size_t len = 0;
    ssize_t got;
    while (len < sizeof state - 1 && (got = read(0, state + len, sizeof state - 1 - len)) > 0) len += (size_t)got;
    state[len] = 0;
    const char *pid_field = strstr(state, "\"pid\":");
    if (!pid_field) return fail("no pid in the container state on stdin");
    long pid = strtol(pid_field + 6, NULL, 10);
    if (pid <= 0) return fail("bad pid in the container state");

    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/libnetwork/%s.sock", exec_root, ids[1]) >= (int)sizeof addr.sun_path)
        return fail("socket path too long");
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("lab-setkey: connect to dockerd");
        return 1;
    }
    char message[512];
    int size = snprintf(message, sizeof message, "{\"ContainerID\":\"%s\",\"Key\":\"/proc/%ld/ns/net\"}\n", ids[0], pid);
    if (size < 0 || size >= (int)sizeof message || write(fd, message, (size_t)size) != size) return fail("could not send the key");

    char reply[1025];
    ssize_t r = read(fd, reply, sizeof reply - 1);
    if (r <= 0) return fail("no reply from dockerd");
    reply[r] = 0;
    if (strcmp(reply, "success") != 0) return fail(reply);
    return 0;
}
