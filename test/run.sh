#!/usr/bin/env bash
# The whole suite, at every privilege level this machine allows (as crun's CI does):
#   root         unit, spawn, root, package          (as the caller, when it is root)
#   sanitize     unit, spawn                         (root, addon built with ASan+UBSan)
#   rootless     unit, spawn, rootless               (as nobody, through setpriv)
#   userns-root  spawn, root                         (as root inside `unshare -r`)
# then `final`, which checks that the host is as it was. Not root: unit, spawn, rootless.
# Prints one closing line: "nsjs: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

scratch=$(mktemp -d /tmp/nsjs-test.XXXXXX)
chmod 755 "$scratch"
cleanup() { rm -rf "$scratch"; }
trap cleanup EXIT

# What the host looks like before any test (test/final compares).
mkdir -p "$scratch/host"
hostname > "$scratch/host/hostname"
cat /proc/sys/kernel/domainname > "$scratch/host/domainname"
cat /proc/self/mountinfo > "$scratch/host/mountinfo"
node test/helpers/cgroup-tree.js > "$scratch/host/cgroups"
export NSJS_HOST_SNAPSHOT=$scratch/host

mkdir -m 777 "$scratch/results"
failed=0
jest() { node "$1/node_modules/jest/bin/jest.js" --ci --maxWorkers=2 --rootDir "$1" --cacheDirectory "$scratch/jest" "${@:2}"; }

levels=()
level() {
  local name=$1; shift
  levels+=("$name")
  echo
  echo "=== level: $name ==="
  "$@" --json --outputFile="$scratch/results/$name.json" || failed=1
}

host_root=no
if [ "$(id -u)" = 0 ] && [ "$(awk '{print $1, $2, $3}' /proc/self/uid_map)" = "0 0 4294967295" ]; then host_root=yes; fi

if [ "$host_root" = yes ]; then
  # An unprivileged user needs to read the checkout; copy it where it can if not
  # (the rootless level runs there, and root-level cases that become nobody load nsjs from it).
  tree=$repo
  if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$repo/package.json" -a -x "$repo/node_modules"; then
    tree=$scratch/tree
    mkdir "$tree"
    tar -C "$repo" --exclude=./.git -cf - . | tar -C "$tree" -xf -
    chmod -R a+rX "$tree"
  fi
  export NSJS_NOBODY_TREE=$tree
  level root jest "$repo" --selectProjects unit spawn root package

  # The addon built with -fsanitize=address,undefined, in a copy of the tree;
  # Node is not instrumented, so the runtimes come in through LD_PRELOAD.
  san=$scratch/sanitize
  mkdir "$san"
  tar -C "$repo" --exclude=./.git --exclude=./node_modules --exclude=./build -cf - . | tar -C "$san" -xf -
  # node_modules by symlinks, but node-addon-api for real: gyp writes its
  # makefiles relative to where the package really is, which must be inside.
  mkdir "$san/node_modules"
  for entry in "$repo"/node_modules/* "$repo"/node_modules/.bin; do ln -s "$entry" "$san/node_modules/"; done
  rm "$san/node_modules/node-addon-api"
  cp -a "$repo/node_modules/node-addon-api" "$san/node_modules/"
  # Node's headers: npm's nodedir when it names one, else node-gyp's own cache.
  nodedir=$(npm config get nodedir 2>/dev/null || true)
  [ -n "$nodedir" ] && [ -d "$nodedir/include/node" ] || nodedir=''

  if (cd "$san" && node node_modules/node-gyp/bin/node-gyp.js rebuild --nsjs_sanitize=1 ${nodedir:+--nodedir="$nodedir"} >"$scratch/sanitize-build.log" 2>&1) &&
     [ "$(nm -D "$san/build/Release/nsjs.node" | grep -c __asan_report)" -gt 0 ]; then
    preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    level sanitize env NSJS_SANITIZER_PRELOAD="$preload" LD_PRELOAD="$preload" \
      ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      node "$san/node_modules/jest/bin/jest.js" --ci --maxWorkers=2 --rootDir "$san" \
      --cacheDirectory "$scratch/sanitize-jest" --selectProjects unit spawn
  else
    echo "sanitizer build failed:"; cat "$scratch/sanitize-build.log"; failed=1
  fi

  mkdir -m 777 "$scratch/nobody"
  # env -C: the caller's cwd may be unreadable to nobody (a mode-700 checkout).
  level rootless env -C "$tree" HOME="$scratch/nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
    node "$tree/node_modules/jest/bin/jest.js" --ci --maxWorkers=2 --rootDir "$tree" --config "$tree/jest.config.js" \
    --cacheDirectory "$scratch/nobody/jest" --selectProjects unit spawn rootless

  level userns-root unshare --user --map-root-user -- \
    node "$repo/node_modules/jest/bin/jest.js" --ci --maxWorkers=2 --rootDir "$repo" \
    --cacheDirectory "$scratch/userns-jest" --selectProjects spawn root
elif [ "$(id -u)" = 0 ]; then
  level userns-root jest "$repo" --selectProjects unit spawn root
else
  level rootless jest "$repo" --selectProjects unit spawn rootless
fi

level final jest "$repo" --selectProjects final

node -e '
  const fs = require("fs"); const dir = process.argv[1];
  let passed = 0, failed = 0, skipped = 0;
  for (const name of process.argv.slice(2)) {
    const f = name + ".json";
    if (!fs.existsSync(dir + "/" + f)) { console.log(`${name}: no results (the level did not run)`); failed++; continue; }
    const r = JSON.parse(fs.readFileSync(dir + "/" + f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; skipped += r.numPendingTests;
    console.log(`${f.replace(/\.json$/, "")}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  }
  console.log(`nsjs: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$scratch/results" "${levels[@]}" || failed=1
exit $failed
