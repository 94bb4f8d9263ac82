// Loaded into every jest worker. In the sanitizer run (test/run.sh), Node gets
// libasan through LD_PRELOAD; the programs inside sandboxes must not (ASan
// inside a fresh PID namespace can hang in `ps`), so only Node processes get it:
// the workers here, and the fixtures through run-node.ts.
if (process.env.NSJS_SANITIZER_PRELOAD) delete process.env.LD_PRELOAD;
