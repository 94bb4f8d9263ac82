/* Force-included into the addon's sources (binding.gyp). Linked against a new
 * glibc, a call binds to the newest version of its symbol: pthread_create and
 * dlopen to GLIBC_2.34 (when they moved out of libpthread/libdl), fcntl to
 * fcntl64@GLIBC_2.28, and the prebuilt addon would refuse to load on older
 * systems. Each of these still exists under the architecture's first version,
 * with the same behaviour, so bind to that one instead. test/package/prebuilds
 * checks that no symbol newer than the documented floor (2.17) remains: a new
 * libc call that trips it gets a line here, or becomes a raw syscall where
 * the function is newer than the floor itself (fstat, memfd_create). */
#ifndef NSJS_GLIBC_FLOOR_H
#define NSJS_GLIBC_FLOOR_H

#include <features.h> /* defines __GLIBC__ on glibc; musl has the header too, but not the macro */

#if defined(__GLIBC__)
#if defined(__x86_64__)
#define NSJS_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define NSJS_GLIBC_BASE "GLIBC_2.17"
#endif
#endif

#ifdef NSJS_GLIBC_BASE
#define NSJS_PIN(name, old) __asm__(".symver " #name "," #old "@" NSJS_GLIBC_BASE)
NSJS_PIN(pthread_create, pthread_create);
NSJS_PIN(pthread_attr_setstacksize, pthread_attr_setstacksize);
NSJS_PIN(pthread_sigmask, pthread_sigmask);
NSJS_PIN(dlopen, dlopen);
NSJS_PIN(dladdr, dladdr);
NSJS_PIN(dlsym, dlsym);
NSJS_PIN(pthread_once, pthread_once);
NSJS_PIN(fcntl64, fcntl); /* on 64-bit, fcntl64 is fcntl under a new name */
#undef NSJS_PIN
#endif

#endif
