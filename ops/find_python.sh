#!/bin/sh
# Prints the path of a working Python >= 3.12, or fails with one clear line.
# Plain names are tried by running them, not by `command -v`: a pyenv shim
# exists for python3.12 even when no pyenv version makes it runnable.
set -u
works() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}
for candidate in python3.13 python3.12 python3; do
    if works "$candidate"; then
        command -v "$candidate"
        exit 0
    fi
done
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for candidate in $(ls -d "$pyenv_root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do
    if works "$candidate/bin/python3"; then
        echo "$candidate/bin/python3"
        exit 0
    fi
done
echo "find_python: no Python >= 3.12 found (tried python3.13, python3.12, python3, $pyenv_root/versions)" >&2
exit 1
