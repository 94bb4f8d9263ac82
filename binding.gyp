{
  "variables": {
    "nsjs_sanitize%": "0"
  },
  "target_defaults": {
    "cflags": ["-Wall", "-Wextra", "-fstack-protector-strong"],
    "cflags_c": ["-std=gnu11"],
    "defines": ["_GNU_SOURCE"],
    "conditions": [
      ["nsjs_sanitize==1", {
        "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"],
        "ldflags": ["-fsanitize=address,undefined"]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "nsjs",
      "sources": [
        "src-native/binding.cc",
        "src-native/exit_watcher.cc",
        "src-native/record_watcher.cc",
        "src-native/seccomp_glue.cc",
        "src-native/landlock_glue.cc",
        "src-native/core/inprocess.c",
        "src-native/core/spawn.c",
        "src-native/core/child.c",
        "src-native/core/rootfs.c",
        "src-native/core/steps.c",
        "src-native/core/signal_tree.c",
        "src-native/core/pool.c",
        "src-native/core/privileges.c",
        "src-native/core/seccomp.c",
        "src-native/core/landlock.c",
        "src-native/core/cgroup_kill.c"
      ],
      "libraries": ["-ldl"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-std=c++17"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["nsjs_sanitize==0", {
          "cflags": ["-include", "<(module_root_dir)/src-native/compat/glibc-floor.h"]
        }]
      ]
    },
    {
      "target_name": "nsjs-init",
      "type": "executable",
      "sources": ["src-native/init/nsjs-init.c"],
      "cflags!": ["-fstack-protector-strong", "-fPIC", "-pthread", "-fsanitize=address,undefined"],
      "cflags": ["-ffreestanding", "-fno-builtin", "-fno-stack-protector", "-fno-pic", "-fno-asynchronous-unwind-tables"],
      "ldflags!": ["-pthread", "-rdynamic", "-fsanitize=address,undefined"],
      "ldflags": ["-nostdlib", "-static", "-no-pie"],
      "conditions": [["target_arch=='x64'", {"cflags": ["-mno-red-zone"]}]]
    }
  ]
}
