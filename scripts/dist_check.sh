#!/usr/bin/env bash
# Install a plugin by name from built distributions into a fresh virtual environment, the way a
# user would, and check that srzoo lists its generator:
#
#     scripts/dist_check.sh [DIST_FOLDER] [DISTRIBUTION] [GENERATOR]     (default: dist srzoo-esrgan rrdbnet)
#
# srzoo and the plugin come from DIST_FOLDER (--find-links; neither is on PyPI), everything else
# from the package index, with torch pinned by constraints.txt (pip's find-links may hold a local
# CPU wheel of that version, which pip then prefers: 2.13.0+cpu sorts above 2.13.0). PYTHON picks
# the interpreter for the new environment (default python3).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dist="$(cd "${1:-$root/dist}" && pwd)"
distribution="${2:-srzoo-esrgan}"
generator="${3:-rrdbnet}"
python="${PYTHON:-python3}"

ls "$dist"/*.whl >/dev/null 2>&1 || { echo "dist-check: no wheels in $dist (run make dist first)" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$python" -m venv "$scratch/venv"
# From a neutral folder, so no checkout on the current path can stand in for the installed package.
cd "$scratch"
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$root/constraints.txt" --find-links "$dist" "$distribution"
listing="$("$scratch/venv/bin/srzoo" --strict-plugins list gen)"
if ! grep -qw -- "$generator" <<<"$listing"; then
    echo "dist-check: after 'pip install $distribution', 'srzoo list gen' does not show $generator:" >&2
    echo "$listing" >&2
    exit 1
fi
versions="$("$scratch/venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -Ei '^(srzoo[-a-z]*|torch) ' | tr -s ' ' | paste -sd ',' -)"
echo "dist-check: ok: $distribution installed by name from $dist ($versions); srzoo list gen shows $generator"
