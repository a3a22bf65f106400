#!/bin/sh
# check-deps.sh LIB - fails unless the shared library LIB needs only libc, libm, libpthread and libdl (plus
# the dynamic loader and the vDSO) and imports no dlopen: training must not depend on a system BLAS or on
# whatever else a host happens to have installed.
lib=$1
bad=$(ldd "$lib" | awk '{print $1}' | grep -v -E '^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2)$')
if [ -n "$bad" ]; then
  echo "check-deps: $lib needs libraries beyond libc/libm/libpthread/libdl: $bad" >&2
  exit 1
fi
if nm -D --undefined-only "$lib" | grep -q -E '\bdlopen\b'; then
  echo "check-deps: $lib imports dlopen" >&2
  exit 1
fi
