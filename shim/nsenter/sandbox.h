#ifndef SPINOCI_SANDBOX_H
#define SPINOCI_SANDBOX_H

#include <stddef.h>

// report_and_exit (nsenter.c) reports msg to the parent and exits 1.
void report_and_exit(const char *msg) __attribute__((noreturn));
// spinoci_error_line formats msg as a JSON status line {"error": msg}.
void spinoci_error_line(char *line, size_t size, const char *msg);
// spinoci_pause runs a pod's pause process and never returns (pause.c).
void spinoci_pause(int argc, char **argv) __attribute__((noreturn));
// spinoci_sandbox applies the sandbox record read from fd (sandbox.c).
void spinoci_sandbox(int fd);

#endif
