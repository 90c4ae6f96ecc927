// Joins namespaces before the Go runtime starts its threads: setns(2) on a
// multi-threaded process only moves the calling thread (and is refused for
// some namespace types), so it must happen here, in a constructor, while the
// process is still single-threaded. Like runc's nsexec.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

#define SPINOCI_MAX_NS 8

// Keep in step with the constants in package appproto (namespaces.go).
static const char env_join[] = "_SPINOCI_NSENTER";
static const char env_loopback[] = "_SPINOCI_LOOPBACK_UP";
static const char env_errfd[] = "_SPINOCI_NSENTER_ERRFD";
static const char env_sandbox[] = "_SPINOCI_SANDBOX_FD";
static const char env_cgroup_tasks[] = "_SPINOCI_CGROUP_TASKS_FDS";
// appproto.EnvCgroupJoinedFD.
static const char env_cgroup_joined[] = "_SPINOCI_CGROUP_JOINED_FD";
// The container's variables that glibc reads at start-up come renamed with
// this prefix (appproto.ChildEnv), so that the loader never acted on
// them; they get their names back once the process is confined.
static const char held_prefix[] = "_SPINOCI_HELD_";
// appproto.PauseModeArg.
static const char spinoci_pause_arg[] = "pause";

// spinoci_error_line formats msg as a JSON status line {"error": msg}
// into line (at most size bytes, NUL-terminated).
void spinoci_error_line(char *line, size_t size, const char *msg) {
	size_t n = 0;
	const char *p;

	n += snprintf(line, size, "{\"error\":\"");
	for (p = msg; *p != '\0' && n < size - 8; p++) {
		if (*p == '"' || *p == '\\') {
			line[n++] = '\\';
			line[n++] = *p;
		} else if ((unsigned char)*p < 0x20) {
			line[n++] = ' ';
		} else {
			line[n++] = *p;
		}
	}
	snprintf(line + n, size - n, "\"}\n");
}

// report_and_exit writes msg to stderr and, when the parent gave a status
// descriptor, as a JSON status line {"error": msg} that it reads as the
// reason the child failed. Then the process exits with status 1.
void report_and_exit(const char *msg) {
	char line[1024];
	const char *fd_env = getenv(env_errfd);

	dprintf(2, "spinoci: %s\n", msg);
	if (fd_env == NULL || *fd_env == '\0')
		_exit(1);
	spinoci_error_line(line, sizeof(line), msg);
	if (write(atoi(fd_env), line, strlen(line)) < 0) {
		// Nothing more can be done: stderr has the message.
	}
	_exit(1);
}

static int ns_flag(const char *type) {
	if (strcmp(type, "net") == 0)
		return CLONE_NEWNET;
	if (strcmp(type, "ipc") == 0)
		return CLONE_NEWIPC;
	if (strcmp(type, "uts") == 0)
		return CLONE_NEWUTS;
	return 0;
}

static const char *ns_name(const char *type) {
	if (strcmp(type, "net") == 0)
		return "network";
	if (strcmp(type, "ipc") == 0)
		return "IPC";
	if (strcmp(type, "uts") == 0)
		return "UTS";
	return type;
}

// join_cgroups moves the process into the container's cgroup v1
// hierarchies: fds lists descriptors of their "tasks" files ("5,6,…") that
// the shim opened. A thread writing 0 there moves itself, which the kernel
// does without its global lock for migrations; the shim writing the pid to
// cgroup.procs took that lock, whose write side waits for an RCU grace
// period (5–15 ms on a VM), on every start. With one thread, moving the
// thread moves the process.
static void join_cgroups(const char *fds) {
	char msg[768], link[64], target[512];
	const char *p = fds;

	while (*p != '\0') {
		char *end;
		long fd = strtol(p, &end, 10);
		ssize_t n;
		int err;

		if (end == p || fd < 0 || fd > 1 << 20 || (*end != ',' && *end != '\0')) {
			snprintf(msg, sizeof(msg), "joining the container's cgroup: malformed descriptor list \"%s\"", fds);
			report_and_exit(msg);
		}
		if (write((int)fd, "0", 1) != 1) {
			err = errno;
			snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
			n = readlink(link, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
			snprintf(msg, sizeof(msg), "joining the container's cgroup %s: %s", n > 0 ? target : link,
				 strerror(err));
			report_and_exit(msg);
		}
		close((int)fd);
		p = *end == ',' ? end + 1 : end;
	}
}

// join_namespaces parses "net=/proc/1/ns/net,ipc=…" and joins each one. All
// are opened first so that a bad path fails before any namespace changes.
static void join_namespaces(const char *spec) {
	char msg[768];
	char *copy = strdup(spec);
	char *types[SPINOCI_MAX_NS], *paths[SPINOCI_MAX_NS];
	int fds[SPINOCI_MAX_NS];
	int count = 0, i;
	char *save = NULL, *item;

	if (copy == NULL)
		report_and_exit("joining namespaces: out of memory");
	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (eq == NULL || eq == item || eq[1] == '\0') {
			snprintf(msg, sizeof(msg), "joining namespaces: malformed entry \"%s\" (want type=path)", item);
			report_and_exit(msg);
		}
		*eq = '\0';
		if (ns_flag(item) == 0) {
			snprintf(msg, sizeof(msg), "joining namespaces: unsupported namespace type \"%s\"", item);
			report_and_exit(msg);
		}
		if (count == SPINOCI_MAX_NS)
			report_and_exit("joining namespaces: too many entries");
		types[count] = item;
		paths[count] = eq + 1;
		count++;
	}
	for (i = 0; i < count; i++) {
		fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			snprintf(msg, sizeof(msg), "opening the pod's %s namespace %s: %s",
				 ns_name(types[i]), paths[i], strerror(errno));
			report_and_exit(msg);
		}
	}
	for (i = 0; i < count; i++) {
		if (setns(fds[i], ns_flag(types[i])) < 0) {
			snprintf(msg, sizeof(msg), "joining the pod's %s namespace %s: %s",
				 ns_name(types[i]), paths[i], strerror(errno));
			report_and_exit(msg);
		}
		close(fds[i]);
	}
	free(copy);
}

// loopback_up brings "lo" up in a network namespace the process was created
// in, as runc does: a new namespace starts with its loopback down.
static void loopback_up(void) {
	char msg[256];
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0) {
		snprintf(msg, sizeof(msg), "bringing up the loopback interface: socket: %s", strerror(errno));
		report_and_exit(msg);
	}
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(msg, sizeof(msg), "bringing up the loopback interface: %s", strerror(errno));
		report_and_exit(msg);
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(msg, sizeof(msg), "bringing up the loopback interface: %s", strerror(errno));
		report_and_exit(msg);
	}
	close(s);
}

// hide_env removes name from the initial environment by making its entry
// empty, which the Go runtime reads as deleted, without moving the array's
// end: glibc's unsetenv shifts the later entries down, and the Go runtime,
// which finds the auxiliary vector right after the environment's NULL,
// then saw an empty one: no vDSO, so every clock read (several per HTTP
// request) became a system call, and no AT_RANDOM or hardware capabilities.
static void hide_env(const char *name) {
	static char empty[] = "";
	size_t len = strlen(name);
	char **ep;

	for (ep = environ; *ep != NULL; ep++) {
		if (strncmp(*ep, name, len) == 0 && (*ep)[len] == '=')
			*ep = empty;
	}
}

// release_held_env gives the held variables their names back, in the
// initial environment array, which is what Go reads.
static void release_held_env(void) {
	size_t len = strlen(held_prefix);
	char **ep;

	for (ep = environ; *ep != NULL; ep++) {
		if (strncmp(*ep, held_prefix, len) == 0)
			*ep += len;
	}
}

// When the constructor began and when it had confined the process, in
// nanoseconds since the Unix epoch (0: it did not run): the app reports
// them to the shim (Startup in package appproto).
long long spinoci_constructor_began_ns, spinoci_constructor_confined_ns;

static long long wall_ns(void) {
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return 0;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// glibc passes constructors the command line: a pod's pause process
// ("<binary> pause …") is run here, in C.
__attribute__((constructor)) static void spinoci_nsenter(int argc, char **argv) {
	const char *join = getenv(env_join);
	const char *lo = getenv(env_loopback);
	const char *sandbox = getenv(env_sandbox);
	const char *cgroup_tasks = getenv(env_cgroup_tasks);
	const char *cgroup_joined = getenv(env_cgroup_joined);
	int joined_fd = cgroup_joined != NULL ? atoi(cgroup_joined) : -1;

	spinoci_constructor_began_ns = wall_ns();

	// First: all the process does after is charged to the cgroup.
	if (cgroup_tasks != NULL && *cgroup_tasks != '\0')
		join_cgroups(cgroup_tasks);
	// The shim waits for this close before it counts the process as in
	// its cgroup (a compile stage it may move out again).
	if (joined_fd > 2)
		close(joined_fd);
	if (join != NULL && *join != '\0')
		join_namespaces(join);
	if (lo != NULL && strcmp(lo, "1") == 0)
		loopback_up();
	// Last: the namespaces are joined as root, then the process is confined.
	if (sandbox != NULL && *sandbox != '\0')
		spinoci_sandbox(atoi(sandbox));
	spinoci_constructor_confined_ns = wall_ns();
	// The container's environment must not see these. The initial
	// environment array is what Go reads.
	hide_env(env_join);
	hide_env(env_loopback);
	hide_env(env_errfd);
	hide_env(env_sandbox);
	hide_env(env_cgroup_tasks);
	hide_env(env_cgroup_joined);
	release_held_env();
	if (argc > 1 && strcmp(argv[1], spinoci_pause_arg) == 0)
		spinoci_pause(argc, argv);
}
