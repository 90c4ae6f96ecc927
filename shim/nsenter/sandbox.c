// Confines the process before the Go runtime starts: rlimits, hostname, a
// private mount namespace whose root holds only the listed mounts, then the
// user, capabilities, no_new_privs and a seccomp filter. Credentials,
// capabilities and seccomp filters belong to a thread; set here, while the
// process has one thread, every thread the Go runtime creates inherits them.
// The parent (package sandbox) decides everything and sends it as a binary
// record on a descriptor; this file only applies it, in the order runc does.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

// Keep in step with package sandbox (encode.go).
#define SB_MAGIC 0x53505342u
#define SB_NO_NEW_PRIVS 1u
#define SB_SET_USER 2u
#define SB_SET_CAPS 4u
#define SB_MOUNT_NS 8u
#define SB_MOUNT_BIND 0u
#define SB_MOUNT_TMPFS 1u
#define SB_MOUNT_DEV 2u

struct reader {
	const unsigned char *p, *end;
};

static void fail(const char *what) {
	char msg[1024];
	snprintf(msg, sizeof(msg), "sandboxing the process: %s: %s", what, strerror(errno));
	report_and_exit(msg);
}

static void fail_plain(const char *what) {
	char msg[1024];
	snprintf(msg, sizeof(msg), "sandboxing the process: %s", what);
	report_and_exit(msg);
}

static void need(struct reader *r, size_t n) {
	if ((size_t)(r->end - r->p) < n)
		fail_plain("truncated sandbox record");
}

static uint32_t get32(struct reader *r) {
	uint32_t v;
	need(r, 4);
	memcpy(&v, r->p, 4);
	r->p += 4;
	return v;
}

static uint64_t get64(struct reader *r) {
	uint64_t v;
	need(r, 8);
	memcpy(&v, r->p, 8);
	r->p += 8;
	return v;
}

// getstr returns a NUL-terminated copy (the record's strings are not).
static char *getstr(struct reader *r) {
	uint32_t n = get32(r);
	char *s;
	need(r, n);
	s = malloc(n + 1);
	if (s == NULL)
		fail_plain("out of memory");
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	return s;
}

static unsigned char *read_all(int fd, size_t *len) {
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	ssize_t got;
	if (buf == NULL)
		fail_plain("out of memory");
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				fail_plain("out of memory");
		}
		got = pread(fd, buf + n, cap - n, (off_t)n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			fail("reading the sandbox record");
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	*len = n;
	return buf;
}

static void mkdir_all(const char *path) {
	char tmp[4096];
	char *p;
	if (strlen(path) >= sizeof(tmp))
		fail_plain("mount path too long");
	strcpy(tmp, path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			fail(tmp);
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		fail(tmp);
}

static void mount_one(const char *root, uint32_t kind, uint32_t readonly, const char *src, const char *dst) {
	char target[4096], what[4400];
	struct stat st;
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID;
	snprintf(target, sizeof(target), "%s%s", root, dst);
	if (kind == SB_MOUNT_TMPFS) {
		mkdir_all(target);
		snprintf(what, sizeof(what), "mounting a tmpfs at %s", dst);
		if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
			fail(what);
		return;
	}
	snprintf(what, sizeof(what), "bind-mounting %s at %s", src, dst);
	if (stat(src, &st) < 0)
		fail(what);
	if (S_ISDIR(st.st_mode)) {
		mkdir_all(target);
	} else {
		char *slash = strrchr(target, '/');
		int fd;
		*slash = '\0';
		mkdir_all(target);
		*slash = '/';
		fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			fail(what);
		if (fd >= 0)
			close(fd);
	}
	if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(what);
	if (kind != SB_MOUNT_DEV)
		flags |= MS_NODEV;
	if (readonly)
		flags |= MS_RDONLY;
	if (mount(NULL, target, NULL, flags, NULL) < 0)
		fail(what);
}

// enter_root builds root: a tmpfs holding the mounts, made the root with
// pivot_root(2) as runc does, the old root detached.
static void enter_root(struct reader *r, const char *root) {
	uint32_t n = get32(r), i;
	if (unshare(CLONE_NEWNS) < 0)
		fail("creating a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail("making the mounts private");
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
		fail("mounting the root tmpfs");
	for (i = 0; i < n; i++) {
		uint32_t kind = get32(r), ro = get32(r);
		char *src = getstr(r), *dst = getstr(r);
		mount_one(root, kind, ro, src, dst);
		free(src);
		free(dst);
	}
	if (chdir(root) < 0)
		fail("entering the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		fail("detaching the old root");
	if (chdir("/") < 0)
		fail("entering /");
	if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		fail("making the root read-only");
}

static void load_seccomp(struct sock_fprog *prog) {
	if (prog->len == 0)
		return;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) < 0)
		fail("loading the seccomp filter");
}

// drop_bounding needs CAP_SETPCAP: it runs before the user change.
static void drop_bounding(uint64_t bounding, uint32_t last_cap) {
	uint32_t c;
	for (c = 0; c <= last_cap; c++) {
		if ((bounding >> c) & 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			fail("dropping a bounding capability");
	}
}

// set_caps runs after the user change (keepcaps kept the permitted set).
static void set_caps(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient,
		     uint32_t last_cap) {
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	uint32_t c;
	data[0].effective = (uint32_t)effective;
	data[1].effective = (uint32_t)(effective >> 32);
	data[0].permitted = (uint32_t)permitted;
	data[1].permitted = (uint32_t)(permitted >> 32);
	data[0].inheritable = (uint32_t)inheritable;
	data[1].inheritable = (uint32_t)(inheritable >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("setting capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		fail("clearing ambient capabilities");
	for (c = 0; c <= last_cap; c++) {
		if (((ambient >> c) & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			fail("raising an ambient capability");
	}
}

void spinoci_sandbox(int fd) {
	size_t len;
	unsigned char *buf = read_all(fd, &len);
	struct reader r = {buf, buf + len};
	struct sock_fprog prog = {0, NULL};
	uint32_t flags, uid, gid, ngroups, nrlimits, last_cap, i;
	uint64_t bounding, effective, permitted, inheritable, ambient;
	gid_t *groups;
	char *hostname, *root, *workdir;

	if (get32(&r) != SB_MAGIC)
		fail_plain("bad sandbox record");
	flags = get32(&r);
	uid = get32(&r);
	gid = get32(&r);
	ngroups = get32(&r);
	groups = calloc(ngroups + 1, sizeof(gid_t));
	if (groups == NULL)
		fail_plain("out of memory");
	for (i = 0; i < ngroups; i++)
		groups[i] = get32(&r);
	bounding = get64(&r);
	effective = get64(&r);
	permitted = get64(&r);
	inheritable = get64(&r);
	ambient = get64(&r);
	last_cap = get32(&r);
	nrlimits = get32(&r);
	for (i = 0; i < nrlimits; i++) {
		uint32_t res = get32(&r);
		struct rlimit rl;
		rl.rlim_cur = get64(&r);
		rl.rlim_max = get64(&r);
		if (setrlimit(res, &rl) < 0)
			fail("setting an rlimit");
	}
	hostname = getstr(&r);
	if (*hostname != '\0' && sethostname(hostname, strlen(hostname)) < 0)
		fail("setting the hostname");
	root = getstr(&r);
	workdir = getstr(&r);
	if (flags & SB_MOUNT_NS)
		enter_root(&r, root);
	else if (get32(&r) != 0)
		fail_plain("mounts without a mount namespace");
	if (*workdir != '\0' && chdir(workdir) < 0)
		fail("entering the working directory");
	prog.len = (unsigned short)get32(&r);
	need(&r, (size_t)prog.len * sizeof(struct sock_filter));
	prog.filter = (struct sock_filter *)r.p;

	// Without no_new_privs the filter needs CAP_SYS_ADMIN, which the user
	// change below may drop: load it first (runc does the same).
	if (!(flags & SB_NO_NEW_PRIVS))
		load_seccomp(&prog);
	if (flags & SB_SET_CAPS)
		drop_bounding(bounding, last_cap);
	if (flags & SB_SET_USER) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			fail("keeping capabilities across the user change");
		if (setgroups(ngroups, groups) < 0)
			fail("setting additional groups");
		if (setresgid(gid, gid, gid) < 0)
			fail("setting the group");
		if (setresuid(uid, uid, uid) < 0)
			fail("setting the user");
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			fail("resetting keepcaps");
	}
	if (flags & SB_SET_CAPS)
		set_caps(effective, permitted, inheritable, ambient, last_cap);
	// A user change makes the process non-dumpable, and so its /proc files
	// root's: it could not open its own /proc/self/fd. runc's container
	// process is dumpable again after its execve; so is this one.
	if ((flags & SB_SET_USER) && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		fail("making the process dumpable");
	if ((flags & SB_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("setting no_new_privs");
	if (flags & SB_NO_NEW_PRIVS)
		load_seccomp(&prog);
	free(groups);
	free(hostname);
	free(root);
	free(workdir);
	free(buf);
}
