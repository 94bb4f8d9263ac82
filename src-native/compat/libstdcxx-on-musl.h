/* Force-included into the addon's C++ sources for the musl prebuilds only
 * (scripts/prebuild/toolchain.js). Those are compiled by Debian's g++ with
 * musl's C headers, but Debian's libstdc++ headers were configured for glibc:
 * - they test the glibc version with __GLIBC_PREREQ: answer "not glibc";
 * - they name glibc's locale type __locale_t: give them musl's locale_t
 *   (both are a pointer to struct __locale_struct);
 * - they call three pthread *_clock* functions that glibc 2.30 added and musl
 *   lacks: turn those off, so the inline code uses the POSIX timed variants.
 * The addon then links against libstdc++.so.6, which Alpine's Node needs too. */
#ifndef NSJS_LIBSTDCXX_ON_MUSL_H
#define NSJS_LIBSTDCXX_ON_MUSL_H

#ifdef __GLIBC__
#error "libstdcxx-on-musl.h is for builds against musl's headers"
#endif

#define __GLIBC_PREREQ(major, minor) 0
#include <locale.h>
typedef locale_t __locale_t;

#include <bits/c++config.h>
#undef _GLIBCXX_USE_PTHREAD_COND_CLOCKWAIT
#undef _GLIBCXX_USE_PTHREAD_MUTEX_CLOCKLOCK
#undef _GLIBCXX_USE_PTHREAD_RWLOCK_CLOCKLOCK

#endif
