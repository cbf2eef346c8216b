/* The registry's front for the lab's layer store: see layer-front.c. */
#ifndef LAYER_FRONT_H
#define LAYER_FRONT_H
#include <stddef.h>

/* Room for a request head and the bytes read past it. */
#define FRONT_PENDING_MAX 17000

/* Reads one request from `client`. Returns 1 if it was answered here (a download
 * of a layer the store holds), -1 if the client sent nothing, or 0: then the
 * `*pending_len` bytes in `pending` (the head, rewritten to close the connection
 * after its answer, and any bytes read past it) go to the service first. */
int layer_front(int client, const char *store, const char *repositories, char *pending, size_t *pending_len);

/* Writes all of `buf`, retrying short writes; 0 or -1. */
int write_all(int fd, const void *buf, size_t len);

#endif
