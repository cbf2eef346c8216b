/* lab-agent: serves the host's requests (run commands, read/write files,
 * ping, set a tty's window size) over a serial port, one line per message.
 * The wire protocol is described in PROTOCOL.md next to this file.
 * Single-threaded: one poll() loop owns the serial port and every child pipe. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define VERSION "1"
#define MAX_LINE (256 * 1024)
#define MAX_EXECS 64
#define CHUNK 4096
#define OUT_LIMIT (8ULL << 20)
#define READ_LIMIT (64LL << 20)
#define GRACE_MS 2000

typedef unsigned long long u64;

struct exec {
	int used, reaped, status, timed_out, killed, truncated;
	u64 id, total;
	pid_t pid;
	int fd[3]; /* [0] child's stdin (we write), [1] stdout, [2] stderr; -1 = closed */
	unsigned char *in;
	size_t in_len, in_off;
	long long start, timeout_at, grace_at, exit_ms;
};

static struct exec execs[MAX_EXECS];
static int io_in = 0, io_out = 1, sig_pipe[2];

static long long now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kill_group(struct exec *e) {
	/* The group outlives a reaped leader while grandchildren remain. Before
	 * setsid() has run in the child there is no group yet, so hit the pid too. */
	kill(-e->pid, SIGKILL);
	if (!e->reaped) kill(e->pid, SIGKILL);
}

static void shutdown_agent(int code) {
	for (int i = 0; i < MAX_EXECS; i++)
		if (execs[i].used) kill_group(&execs[i]);
	exit(code);
}

/* ---- output to the host ---- */

static void write_all(const char *p, size_t n) {
	while (n > 0) {
		ssize_t w = write(io_out, p, n);
		if (w < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { io_out, POLLOUT, 0 };
				poll(&pf, 1, 100);
				continue;
			}
			perror("lab-agent: write");
			shutdown_agent(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t n, char *out) {
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n) v |= in[i + 2];
		out[o++] = B64[v >> 18];
		out[o++] = B64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? B64[v & 63] : '=';
	}
	return o;
}

static signed char b64_rev[256]; /* filled in main; -1 = not base64 */
#define B64_VAL(c) b64_rev[(unsigned char)(c)]

/* Decodes in place (output never overtakes input); "-" is empty.
 * Returns the length, or -1 if the field is not strict padded base64. */
static long b64_decode(char *s) {
	size_t n = strlen(s), o = 0;
	if (strcmp(s, "-") == 0) {
		s[0] = 0;
		return 0;
	}
	if (n == 0 || n % 4) return -1;
	for (size_t i = 0; i < n; i += 4) {
		int last = i + 4 == n, pad = (s[i + 3] == '=') + (s[i + 2] == '=');
		int a = B64_VAL(s[i]), b = B64_VAL(s[i + 1]);
		int c = pad == 2 ? 0 : B64_VAL(s[i + 2]), d = pad ? 0 : B64_VAL(s[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0 || (pad && !last)) return -1;
		unsigned v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 | (unsigned)d;
		s[o++] = (char)(v >> 16);
		if (pad < 2) s[o++] = (char)(v >> 8);
		if (pad < 1) s[o++] = (char)v;
	}
	s[o] = 0;
	return (long)o;
}

static void send_b64(const char *verb, u64 id, const void *data, size_t len) {
	static char line[64 + (CHUNK + 2) / 3 * 4 + 2];
	char *p = line + snprintf(line, 64, "%s %llu ", verb, id);
	if (len > CHUNK) len = CHUNK; /* callers never pass more; keeps the bound obvious */
	if (len) p += b64_encode(data, len, p);
	else *p++ = '-';
	*p++ = '\n';
	write_all(line, (size_t)(p - line));
}

/* Formats into buf (size CHUNK) and returns the length, clamped on overflow. */
static size_t format(char *buf, const char *fmt, va_list ap) {
	int n = vsnprintf(buf, CHUNK, fmt, ap);
	return n < 0 ? 0 : n >= CHUNK ? CHUNK - 1 : (size_t)n;
}

static void send_line(const char *fmt, ...) {
	char line[CHUNK + 1];
	va_list ap;
	va_start(ap, fmt);
	size_t n = format(line, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	write_all(line, n);
}

static void send_fail(u64 id, const char *fmt, ...) {
	char msg[CHUNK];
	va_list ap;
	va_start(ap, fmt);
	size_t n = format(msg, fmt, ap);
	va_end(ap);
	send_b64("fail", id, msg, n);
}

/* Replies fail and leaves the request handler. */
#define FAIL(...) do { send_fail(__VA_ARGS__); return; } while (0)

/* ---- exec ---- */

static struct exec *find_exec(u64 id) {
	for (int i = 0; i < MAX_EXECS; i++)
		if (execs[i].used && execs[i].id == id) return &execs[i];
	return NULL;
}

static void close_fd(int *fd) {
	if (*fd >= 0) close(*fd);
	*fd = -1;
}

static void child(const char *cmd, const char *cwd, char *env, long env_len, int in_fd, int out_fd, int err_fd) {
	struct sigaction sa = { 0 };
	sigset_t none;
	setsid();
	/* Ignored signals stay ignored across exec: give the command a normal SIGPIPE. */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (in_fd < 0) in_fd = open("/dev/null", O_RDONLY);
	if (in_fd >= 0) dup2(in_fd, 0);
	dup2(out_fd, 1);
	dup2(err_fd, 2);
	for (long i = 0; i < env_len; i += (long)strlen(env + i) + 1)
		if (strchr(env + i, '=')) putenv(env + i);
	if (*cwd ? chdir(cwd) < 0 : (chdir("/root") < 0 && chdir("/") < 0)) {
		dprintf(2, "lab-agent: chdir %s: %s\n", *cwd ? cwd : "/", strerror(errno));
		_exit(126);
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	dprintf(2, "lab-agent: exec /bin/sh: %s\n", strerror(errno));
	_exit(127);
}

static int parse_uint(const char *s, u64 max, u64 *out) {
	u64 v = 0;
	if (!*s || strlen(s) > 19) return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9') return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max) return -1;
	*out = v;
	return 0;
}

/* exec <id> <cmd> <timeout_ms> <cwd> <env> <stdin> */
static void do_exec(u64 id, char **f) {
	u64 timeout;
	struct exec *e = NULL;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, in[2] = { -1, -1 };
	if (find_exec(id)) FAIL(id, "exec id %llu is already running", id);
	for (int i = 0; i < MAX_EXECS && !e; i++)
		if (!execs[i].used) e = &execs[i];
	if (!e) FAIL(id, "busy");
	long cmd_len = b64_decode(f[2]), cwd_len = b64_decode(f[4]);
	long env_len = b64_decode(f[5]), in_len = b64_decode(f[6]);
	if (cmd_len <= 0 || cwd_len < 0 || env_len < 0 || in_len < 0)
		FAIL(id, "exec: bad base64 field or empty command");
	if ((long)strlen(f[2]) != cmd_len || (long)strlen(f[4]) != cwd_len)
		FAIL(id, "exec: command or cwd contains a NUL byte");
	if (parse_uint(f[3], 86400000ULL * 365, &timeout) < 0)
		FAIL(id, "exec: bad timeout_ms");
	/* The stdin bytes live in the line buffer, which the next request reuses. */
	unsigned char *copy = in_len > 0 ? malloc((size_t)in_len) : NULL;
	if (in_len > 0 && !copy) FAIL(id, "exec: out of memory");
	if (copy) memcpy(copy, f[6], (size_t)in_len);
	pid_t pid = -1;
	if (pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0 && (!copy || pipe2(in, O_CLOEXEC) == 0))
		pid = fork();
	if (pid == 0) child(f[2], f[4], f[5], env_len, in[0], out[1], err[1]);
	int saved = errno;
	close_fd(&out[1]); /* the child's ends */
	close_fd(&err[1]);
	close_fd(&in[0]);
	if (pid < 0) {
		close_fd(&out[0]);
		close_fd(&err[0]);
		close_fd(&in[1]);
		free(copy);
		FAIL(id, "exec: %s", strerror(saved));
	}
	*e = (struct exec){ .used = 1, .id = id, .pid = pid, .fd = { in[1], out[0], err[0] },
			    .in = copy, .in_len = (size_t)in_len, .start = now_ms() };
	e->timeout_at = timeout ? e->start + (long long)timeout : 0;
	for (int k = 0; k < 3; k++)
		if (e->fd[k] >= 0) fcntl(e->fd[k], F_SETFL, O_NONBLOCK);
}

static void exec_output(struct exec *e, int k) {
	char buf[CHUNK];
	ssize_t r = read(e->fd[k], buf, sizeof buf);
	if (r > 0) {
		/* Past the limit output is still read (so the child never blocks) but dropped. */
		if (e->total < OUT_LIMIT) {
			u64 room = OUT_LIMIT - e->total;
			send_b64(k == 1 ? "out" : "err", e->id, buf, (u64)r < room ? (size_t)r : (size_t)room);
		}
		e->total += (u64)r;
		if (e->total > OUT_LIMIT) e->truncated = 1;
	} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
		close_fd(&e->fd[k]);
	}
}

static void exec_input(struct exec *e) {
	ssize_t w = write(e->fd[0], e->in + e->in_off, e->in_len - e->in_off);
	if (w > 0) e->in_off += (size_t)w;
	/* Done, or the child closed its stdin (EPIPE): either way stop feeding it. */
	if (e->in_off == e->in_len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
		close_fd(&e->fd[0]);
		free(e->in);
		e->in = NULL;
	}
}

static void reap(void) {
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < MAX_EXECS; i++) {
			struct exec *e = &execs[i];
			if (e->used && !e->reaped && e->pid == pid) {
				e->reaped = 1;
				e->status = status;
				e->exit_ms = now_ms() - e->start;
				e->grace_at = now_ms() + GRACE_MS;
			}
		}
	}
}

/* Enforces timeouts and sends `exit` once the child is gone and its pipes are
 * drained, or GRACE_MS after it exited if a grandchild still holds them. */
static void check_exec(struct exec *e, long long now) {
	if (!e->reaped && e->timeout_at && now >= e->timeout_at && !e->timed_out) {
		e->timed_out = 1;
		kill_group(e);
	}
	if (!e->reaped || ((e->fd[1] >= 0 || e->fd[2] >= 0) && now < e->grace_at)) return;
	for (int k = 0; k < 3; k++) close_fd(&e->fd[k]);
	free(e->in);
	int code = WIFEXITED(e->status) ? WEXITSTATUS(e->status) : 128 + WTERMSIG(e->status);
	char flags[40];
	snprintf(flags, sizeof flags, "%s%s%s", e->timed_out ? ",timeout" : "", e->killed ? ",killed" : "",
		 e->truncated ? ",truncated" : "");
	send_line("exit %llu %d %lld %s", e->id, code, e->exit_ms, flags[0] ? flags + 1 : "-");
	memset(e, 0, sizeof *e);
}

/* ---- files ---- */

/* mkdir -p of path's parent. On failure path is left cut at the directory
 * that could not be made, for the error message. */
static int mkdir_parents(char *path) {
	for (char *p = path + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) return -1;
		*p = '/';
	}
	return 0;
}

/* write <id> <path> <mode_octal> <T|A> <data> */
static void do_write(u64 id, char **f) {
	long plen = b64_decode(f[2]), dlen = b64_decode(f[5]);
	char *path = f[2], *end;
	unsigned long mode = strtoul(f[3], &end, 8);
	int append = strcmp(f[4], "A") == 0;
	if (plen <= 0 || dlen < 0 || (long)strlen(path) != plen)
		FAIL(id, "write: bad base64 field or empty path");
	if (*end || !*f[3] || mode > 07777 || (!append && strcmp(f[4], "T") != 0))
		FAIL(id, "write %s: bad mode or T/A flag", path);
	if (mkdir_parents(path) < 0) FAIL(id, "mkdir %s: %s", path, strerror(errno));
	/* O_EXCL tells us whether we created the file: only then is mode applied
	 * (with fchmod, so the agent's umask does not weaken it). */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
	if (fd >= 0 && fchmod(fd, (mode_t)mode) < 0) {
		int saved = errno;
		close(fd);
		FAIL(id, "chmod %s: %s", path, strerror(saved));
	}
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (append ? O_APPEND : O_TRUNC));
	if (fd < 0) FAIL(id, "open %s: %s", path, strerror(errno));
	for (long off = 0; off < dlen;) {
		ssize_t w = write(fd, f[5] + off, (size_t)(dlen - off));
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) {
			int saved = errno;
			close(fd);
			FAIL(id, "write %s: %s", path, strerror(saved));
		}
		off += w;
	}
	if (close(fd) < 0) FAIL(id, "close %s: %s", path, strerror(errno));
	send_line("ok %llu -", id);
}

/* read <id> <path> */
static void do_read(u64 id, char **f) {
	long plen = b64_decode(f[2]);
	char *path = f[2], buf[CHUNK];
	struct stat st;
	long long total = 0;
	if (plen <= 0 || (long)strlen(path) != plen) FAIL(id, "read: bad base64 path");
	/* O_NONBLOCK so that opening a FIFO cannot stall the whole agent. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) FAIL(id, "open %s: %s", path, strerror(errno));
	const char *why = fstat(fd, &st) < 0 ? strerror(errno)
		: S_ISDIR(st.st_mode) ? "Is a directory"
		: !S_ISREG(st.st_mode) ? "not a regular file"
		: st.st_size > READ_LIMIT ? "larger than 64 MiB" : NULL;
	if (why) {
		close(fd);
		FAIL(id, "read %s: %s", path, why);
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0 || total + r > READ_LIMIT) {
			int saved = errno;
			close(fd);
			FAIL(id, "read %s: %s", path, r < 0 ? strerror(saved) : "larger than 64 MiB");
		}
		if (r == 0) break;
		send_b64("data", id, buf, (size_t)r);
		total += r;
	}
	close(fd);
	send_line("ok %llu %lld", id, total);
}

/* ---- requests ---- */

static void do_ping(u64 id) {
	struct timespec ts;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0) clock_gettime(CLOCK_MONOTONIC, &ts);
	send_line("ok %llu %lld", id, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* winsize <id> <tty> <rows> <cols> */
static void do_winsize(u64 id, char **f) {
	long plen = b64_decode(f[2]);
	u64 rows, cols;
	if (plen <= 0 || (long)strlen(f[2]) != plen)
		FAIL(id, "winsize: bad base64 tty path");
	if (parse_uint(f[3], 65535, &rows) < 0 || parse_uint(f[4], 65535, &cols) < 0)
		FAIL(id, "winsize: bad rows or cols");
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	int fd = open(f[2], O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) FAIL(id, "open %s: %s", f[2], strerror(errno));
	int r = ioctl(fd, TIOCSWINSZ, &ws), saved = errno;
	close(fd);
	if (r < 0) FAIL(id, "TIOCSWINSZ %s: %s", f[2], strerror(saved));
	send_line("ok %llu -", id);
}

/* kill <exec_id> (reply only on failure), or kill <req_id> <exec_id> (ok/fail to req_id). */
static void do_kill(u64 id, char **f, int nf) {
	u64 target = id;
	if (nf == 3 && parse_uint(f[2], ~0ULL, &target) < 0)
		FAIL(id, "kill: bad exec id");
	struct exec *e = find_exec(target);
	if (!e) FAIL(id, "kill: no running exec %llu", target);
	e->killed = 1;
	kill_group(e);
	if (nf == 3) send_line("ok %llu -", id);
}

/* killall <id>: ends every exec still running, ok <id> <count>. A restored state
 * holds the execs of the session that saved it (a warm-up, a lesson check); a
 * new host session sends this first, so only those are ended (lines are
 * handled in order). */
static void do_killall(u64 id) {
	int n = 0;
	for (int i = 0; i < MAX_EXECS; i++) {
		if (!execs[i].used) continue;
		execs[i].killed = 1;
		kill_group(&execs[i]);
		n++;
	}
	send_line("ok %llu %d", id, n);
}

/* The id of a line, if its second field is one; 0 otherwise. */
static u64 line_id(const char *line) {
	char tok[21];
	u64 id = 0;
	const char *p = strchr(line, ' ');
	if (!p) return 0;
	size_t n = strcspn(++p, " ");
	if (n >= sizeof tok) return 0;
	memcpy(tok, p, n);
	tok[n] = 0;
	return parse_uint(tok, ~0ULL, &id) < 0 ? 0 : id;
}

static void handle_line(char *line, size_t len) {
	char *f[8], *rest = line;
	int nf = 0;
	u64 id = 0;
	if (len > 0 && line[len - 1] == '\r') line[--len] = 0;
	if (len == 0) return; /* blank lines are harmless line noise */
	if (memchr(line, 0, len)) FAIL(line_id(line), "malformed request: NUL byte");
	while (rest && nf < 8) f[nf++] = strsep(&rest, " ");
	for (int i = 0; i < nf; i++)
		if (!*f[i] || nf == 8) FAIL(0, "malformed request: empty field or too many fields");
	if (nf < 2 || parse_uint(f[1], ~0ULL, &id) < 0)
		FAIL(0, "malformed request: missing or bad id");
	const char *verb = f[0];
	if (!strcmp(verb, "exec") && nf == 7) do_exec(id, f);
	else if (!strcmp(verb, "kill") && (nf == 2 || nf == 3)) do_kill(id, f, nf);
	else if (!strcmp(verb, "killall") && nf == 2) do_killall(id);
	else if (!strcmp(verb, "write") && nf == 6) do_write(id, f);
	else if (!strcmp(verb, "read") && nf == 3) do_read(id, f);
	else if (!strcmp(verb, "ping") && nf == 2) do_ping(id);
	else if (!strcmp(verb, "winsize") && nf == 5) do_winsize(id, f);
	else send_fail(id, "unknown request or wrong field count: %.32s", verb);
}

/* Splits serial input into lines; an over-long line is dropped up to its
 * newline and answered once, using the id from its start if it has one. */
static void feed_input(const char *p, size_t n) {
	static char buf[MAX_LINE + 1];
	static size_t len;
	static int discarding;
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t seg = nl ? (size_t)(nl - p) : n;
		if (!discarding) {
			size_t take = seg < MAX_LINE - len ? seg : MAX_LINE - len;
			memcpy(buf + len, p, take);
			len += take;
			if (take < seg) discarding = 1;
		}
		if (nl) {
			buf[len] = 0;
			if (discarding)
				send_fail(line_id(buf), "request line longer than %d bytes", MAX_LINE);
			else handle_line(buf, len);
			discarding = 0;
			len = 0;
			seg++;
		}
		p += seg;
		n -= seg;
	}
}

static void on_sigchld(int sig) {
	int saved = errno;
	(void)sig;
	/* A full pipe is fine: a wake-up is already pending. */
	(void)!write(sig_pipe[1], "x", 1);
	errno = saved;
}

static void open_device(const char *dev) {
	int fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios t;
	if (fd < 0) {
		fprintf(stderr, "lab-agent: open %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	if (isatty(fd) && tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		/* CLOCAL: no modem lines on a virtual UART, so never hang up. */
		t.c_cflag |= CLOCAL | CREAD;
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
		/* Bytes queued before we ran could prefix the first real request. */
		tcflush(fd, TCIFLUSH);
	}
	io_in = io_out = fd;
	/* Init may start us without fds 0-2; keep pipes from landing there. */
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0) open("/dev/null", O_RDWR);
}

int main(int argc, char **argv) {
	const char *dev = argc > 1 ? argv[1] : "/dev/ttyS1";
	struct sigaction sa = { 0 };
	static char inbuf[65536];

	memset(b64_rev, -1, sizeof b64_rev);
	for (int i = 0; i < 64; i++) b64_rev[(unsigned char)B64[i]] = (signed char)i;
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("lab-agent: pipe");
		return 1;
	}
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	if (strcmp(dev, "-") != 0) open_device(dev);
	if (chdir("/") < 0) perror("lab-agent: chdir /");
	send_line("ready %s", VERSION);

	for (;;) {
		struct pollfd pfd[2 + 3 * MAX_EXECS];
		struct exec *owner[2 + 3 * MAX_EXECS];
		int which[2 + 3 * MAX_EXECS], n = 2;
		long long now = now_ms(), wake = -1;
		pfd[0] = (struct pollfd){ io_in, POLLIN, 0 };
		pfd[1] = (struct pollfd){ sig_pipe[0], POLLIN, 0 };
		for (int i = 0; i < MAX_EXECS; i++) {
			struct exec *e = &execs[i];
			if (!e->used) continue;
			for (int k = 0; k < 3; k++) {
				if (e->fd[k] < 0) continue;
				pfd[n] = (struct pollfd){ e->fd[k], k ? POLLIN : POLLOUT, 0 };
				owner[n] = e;
				which[n++] = k;
			}
			long long at = e->reaped ? e->grace_at : (e->timed_out ? 0 : e->timeout_at);
			if (at && (wake < 0 || at < wake)) wake = at;
		}
		int timeout = wake < 0 ? -1 : wake <= now ? 0 : (int)(wake - now);
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			perror("lab-agent: poll");
			shutdown_agent(1);
		}
		if (pfd[1].revents) {
			char drain[64];
			while (read(sig_pipe[0], drain, sizeof drain) > 0) ;
		}
		reap();
		/* One read or write per fd per round: a flooding child cannot starve others. */
		for (int i = 2; i < n; i++) {
			if (!pfd[i].revents) continue;
			if (which[i] == 0) exec_input(owner[i]);
			else exec_output(owner[i], which[i]);
		}
		if (pfd[0].revents) {
			ssize_t r = read(io_in, inbuf, sizeof inbuf);
			if (r == 0) shutdown_agent(0); /* host side closed; init respawns us */
			if (r < 0 && errno != EINTR && errno != EAGAIN) {
				perror("lab-agent: read");
				shutdown_agent(1);
			}
			if (r > 0) feed_input(inbuf, (size_t)r);
		}
		now = now_ms();
		for (int i = 0; i < MAX_EXECS; i++)
			if (execs[i].used) check_exec(&execs[i], now);
	}
}
