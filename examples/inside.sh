# Runs inside the sandbox (see demo.mjs).
echo "hostname inside: $(hostname)"
echo "my pid inside:   $$"
echo
echo '$ ps ax'
ps ax 2>/dev/null || for p in /proc/[0-9]*; do echo "${p#/proc/} $(tr '\0' ' ' < "$p/cmdline")"; done
echo
echo '$ ip link'
ip -br link 2>/dev/null || tail -n +3 /proc/net/dev | cut -d: -f1
