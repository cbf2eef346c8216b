/* lab-keeper: the one process of the lab's keeper container (see
 * /usr/local/sbin/lab-shim-keeper). It only waits; SIGTERM or SIGINT end it. */
#include <signal.h>
#include <unistd.h>

static void stop(int sig) {
    (void)sig;
    _exit(0);
}

int main(void) {
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    for (;;) pause();
}
