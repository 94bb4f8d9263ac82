/* Makes one system call with harmless arguments and prints its errno (0: it
 * succeeded). Built by test/helpers/syscall-probe.ts. The ":i386" and ":x32"
 * forms enter the kernel through those ABIs from this x86_64 program (int
 * 0x80, and the x32 bit on the syscall number): the classic filter bypass. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static long check(long r) { return r < 0 ? errno : 0; }

#if defined(__x86_64__)
static long i386_call(long nr, long a, long b, long c, long d, long e) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
  return r < 0 && r > -4096 ? -r : 0;
}
static long x32_call(long nr, long a, long b, long c, long d, long e) {
  long r;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr | 0x40000000L), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  return r < 0 && r > -4096 ? -r : 0;
}
#endif

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  long err = -1;
  if (!strcmp(what, "mount")) err = check(syscall(SYS_mount, "none", "/nonexistent-nsjs-probe", "tmpfs", 0, NULL));
  else if (!strcmp(what, "finit_module")) err = check(syscall(SYS_finit_module, -1, "", 0));
  else if (!strcmp(what, "open_by_handle_at")) err = check(syscall(SYS_open_by_handle_at, -1, NULL, 0));
  else if (!strcmp(what, "perf_event_open")) err = check(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
  else if (!strcmp(what, "clone3")) err = check(syscall(SYS_clone3, NULL, 0));
  else if (!strcmp(what, "io_uring_setup")) err = check(syscall(SYS_io_uring_setup, 1, NULL));
  /* TIOCSTI on stdin, also with bits above 32 set (the kernel reads an unsigned int). */
  else if (!strcmp(what, "tiocsti")) err = check(syscall(SYS_ioctl, 0, TIOCSTI, "x"));
  else if (!strcmp(what, "tiocsti-high")) err = check(syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, "x"));
#if defined(__x86_64__)
  else if (!strcmp(what, "perf_event_open:i386")) err = i386_call(336, 0, 0, -1, -1, 0);
  else if (!strcmp(what, "perf_event_open:x32")) err = x32_call(SYS_perf_event_open, 0, 0, -1, -1, 0);
#endif
  printf("%ld\n", err);
  return err < 0 ? 2 : 0;
}
