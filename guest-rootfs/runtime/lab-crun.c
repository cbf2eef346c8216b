/* lab-crun: dockerd's default runtime. On `create` it points the container's
 * libnetwork-setkey prestart hook at lab-setkey instead of at dockerd's own
 * binary (see lab-setkey.c), then hands every call, unchanged, to crun. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CRUN "/usr/bin/crun"
#define SETKEY "/usr/local/sbin/lab-setkey"

/* Rewrites "path":"/proc/<pid>/exe","args":["libnetwork-setkey" in config.json. */
static void patch_hook(const char *bundle) {
    char file[4096], tmp[4200];
    snprintf(file, sizeof file, "%s/config.json", bundle);
    snprintf(tmp, sizeof tmp, "%s.lab-crun", file);
    FILE *in = fopen(file, "r");
    if (!in) return;
    static char data[4 << 20];
    size_t len = fread(data, 1, sizeof data - 1, in);
    fclose(in);
    data[len] = 0;
    const char *marker = "/exe\",\"args\":[\"libnetwork-setkey\"";
    char *hook = strstr(data, marker);
    if (!hook) return;
    char *start = hook;
    while (start > data && strncmp(start, "\"path\":\"", 8) != 0) start--;
    if (start == data) return;
    start += 8; /* the path value, up to hook + strlen("/exe") */
    FILE *out = fopen(tmp, "w");
    if (!out) return;
    fwrite(data, 1, (size_t)(start - data), out);
    fputs(SETKEY, out);
    fputs(hook + 4, out);
    if (fclose(out) == 0) rename(tmp, file);
    else unlink(tmp);
}

int main(int argc, char **argv) {
    const char *bundle = NULL;
    int create = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "create") == 0 || strcmp(argv[i], "run") == 0) create = 1;
        else if ((strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0) && i + 1 < argc) bundle = argv[i + 1];
        else if (strncmp(argv[i], "--bundle=", 9) == 0) bundle = argv[i] + 9;
    }
    if (create) patch_hook(bundle ? bundle : ".");
    argv[0] = "crun";
    execv(CRUN, argv);
    perror("lab-crun: exec " CRUN);
    return 127;
}
