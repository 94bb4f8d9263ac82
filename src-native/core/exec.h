/* execve over a list of candidate paths, with execvp's error rules.
 * Async-signal-safe: used between clone and exec and by nsjs-init. */
#ifndef NSJS_EXEC_H
#define NSJS_EXEC_H

/* Tries each path in order; returns only on failure, with the errno to report:
 * EACCES if any candidate was not executable, else the first error that is not
 * ENOENT/ENOTDIR (which stops the search), else ENOENT. */
int nsjs_exec_candidates(const char *const *paths, int count, char *const argv[], char *const envp[]);

#endif
