// A pod's sandbox ("pause") process, run by the constructor before the Go
// runtime starts: it only holds the pod's namespaces, so it needs no Go
// runtime, whose heap, threads and package initialisation would cost a few
// MB of memory per pod. It speaks the app process's control protocol (the Go
// side is package appproto): a JSON status line on fd 4 ("ready", then
// "holding", or {"error": …}), "start\n" read from fd 3. SIGTERM or SIGINT
// ends it with status 0 at any point; so does the control pipe closing (or
// carrying anything else) before "start".
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sandbox.h"

// Keep in step with package appproto.
#define PAUSE_CONTROL_FD 3
#define PAUSE_STATUS_FD 4
static const char pause_start[] = "start\n";

static void pause_write_status(const char *line) {
	// The parent may be gone (SIGPIPE is ignored): nothing more to do then.
	if (write(PAUSE_STATUS_FD, line, strlen(line)) < 0) {
	}
}

static void pause_fail(const char *msg) {
	char line[1024];
	spinoci_error_line(line, sizeof(line), msg);
	dprintf(2, "spinoci pause: %s\n", msg);
	pause_write_status(line);
	_exit(1);
}

static void pause_usage(const char *what, const char *arg) {
	dprintf(2, "spinoci pause: parsing pause arguments: %s \"%s\"\n", what, arg);
	_exit(2);
}

// pause_hostname returns the --hostname of args (appproto.PauseArgs: the
// flag package's forms -hostname v, --hostname v, -hostname=v,
// --hostname=v), or NULL.
static const char *pause_hostname(int argc, char **argv) {
	const char *hostname = NULL;
	int i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (strcmp(a, "-hostname") == 0) {
			if (i + 1 >= argc)
				pause_usage("flag needs an argument:", argv[i]);
			hostname = argv[++i];
		} else if (strncmp(a, "-hostname=", 10) == 0) {
			hostname = a + 10;
		} else if (a[0] == '-') {
			pause_usage("flag provided but not defined:", argv[i]);
		} else {
			pause_usage("unexpected", argv[i]);
		}
	}
	return hostname;
}

// pause_await_start reads the control pipe until a newline or a signal:
// 1 when it carried exactly "start\n".
static int pause_await_start(int sigfd) {
	char buf[sizeof(pause_start)];
	size_t n = 0;
	struct pollfd fds[2] = {{.fd = PAUSE_CONTROL_FD, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};

	for (;;) {
		ssize_t got;
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (fds[1].revents != 0)
			return 0;
		if (fds[0].revents == 0)
			continue;
		got = read(PAUSE_CONTROL_FD, buf + n, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;
		n++;
		if (buf[n - 1] == '\n')
			return n == strlen(pause_start) && memcmp(buf, pause_start, n) == 0;
		if (n == strlen(pause_start))
			return 0; // longer than "start\n"
	}
}

static void pause_ignore(int sig) { (void)sig; }

void spinoci_pause(int argc, char **argv) {
	const char *hostname = pause_hostname(argc, argv);
	struct sigaction sa;
	sigset_t stop;
	int sigfd;

	// A handler (never run: the signals are blocked and read from a
	// signalfd) so that they reach the process even as a PID namespace's
	// init, which drops signals left at their default disposition.
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pause_ignore;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	sigfd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (sigfd < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "waiting for signals: %s", strerror(errno));
		pause_fail(msg);
	}
	if (hostname != NULL && *hostname != '\0' && sethostname(hostname, strlen(hostname)) < 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "setting hostname \"%s\": %s", hostname, strerror(errno));
		pause_fail(msg);
	}
	pause_write_status("{\"state\":\"ready\"}\n");
	if (!pause_await_start(sigfd))
		_exit(0);
	pause_write_status("{\"state\":\"holding\"}\n");
	close(PAUSE_STATUS_FD);
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t got = read(sigfd, &si, sizeof(si));
		if (got == (ssize_t)sizeof(si) || (got < 0 && errno != EINTR))
			_exit(0);
	}
}
