#!/usr/bin/env bash
# The main job: show the sys layer at work (sys_tour), then nsinfo when built.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bin() { find bin -path '*/release/*' -name "$1" -type f -perm -u+x | head -n1; }
echo "### sys_tour: namespaces, clone into new UTS+PID namespaces, kcmp"
"$(bin sys_tour)"
