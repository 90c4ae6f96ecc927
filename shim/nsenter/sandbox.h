#ifndef SPINOCI_SANDBOX_H
#define SPINOCI_SANDBOX_H

// report_and_exit (nsenter.c) reports msg to the parent and exits 1.
void report_and_exit(const char *msg) __attribute__((noreturn));
// spinoci_sandbox applies the sandbox record read from fd (sandbox.c).
void spinoci_sandbox(int fd);

#endif
