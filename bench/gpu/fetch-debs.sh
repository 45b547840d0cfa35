#!/usr/bin/env bash
# Runs HERE (the Debian 12 build machine, with apt), not on the GPU machine: downloads the
# Debian packages the full chromatune build needs besides LibTorch, NCCL and the CUDA runtime
# (which the GPU machine's pip torch brings), and unpacks them with `dpkg -x` into one tree
# that bench/gpu/run.sh uses as a prefix. The GPU machine has no apt and no network; carry
# the tree with the run (the device tool's `carry`, at most 64 MiB in all).
#
#   bash bench/gpu/fetch-debs.sh [DEST]    # DEST: .gpu-deps (ignored by git)
#
# DEST/debs/*.deb are the packages as downloaded (compressed: about 40 MiB, within the 64 MiB
# a device run may carry; unpacked, Boost's headers alone are 140 MiB). run.sh unpacks them
# with `dpkg -x` (or `ar` + `tar` where dpkg is missing) into its build directory on the GPU
# machine, in seconds. DEST/packages.txt lists them; this script also unpacks them once here
# into a temporary directory and checks that every header and library the build looks for
# is there.
#
# The packages (Debian 12 names): the -dev packages of scripts/setup's list that the
# `chromatune` binary needs, their shared libraries, and the shared libraries those load
# (OpenMPI's transports, HDF5's compression and curl), except what every Debian-like system
# has (libc6, libstdc++6, zlib1g, libssl3 come along anyway as their -dev's runtime).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST=${1:-.gpu-deps}
PACKAGES=(
  # headers and CMake files find_package reads
  libyaml-cpp-dev libspdlog-dev libfmt-dev libsqlite3-dev libhdf5-dev libaec-dev
  libopenmpi-dev libboost1.74-dev libssl-dev nlohmann-json3-dev libcli11-dev zlib1g-dev
  libstb-dev libgtest-dev googletest
  # the libraries chromatune links
  libyaml-cpp0.7 libspdlog1.10 libfmt9 libsqlite3-0 libhdf5-103-1 libhdf5-hl-100 libopenmpi3
  openmpi-common libssl3 zlib1g libstb0
  # what those load
  libsz2 libaec0 libcurl4 libnghttp2-14 librtmp1 libssh2-1 libpsl5 libbrotli1 libldap-2.5-0
  libsasl2-2 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libhwloc15 libpmix2 libfabric1 libibverbs1
  librdmacm1 libnl-3-200 libnl-route-3-200 libpsm2-2 libpsm-infinipath1 libucx0 libmunge2
  libxnvctrl0 libudev1
)
rm -rf "$DEST"
mkdir -p "$DEST/debs"
printf '%s\n' "${PACKAGES[@]}" > "$DEST/packages.txt"
(cd "$DEST/debs" && apt-get download "${PACKAGES[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
n=$(ls "$DEST"/debs/*.deb | wc -l)
((n == ${#PACKAGES[@]})) || { echo "fetch-debs: got $n of ${#PACKAGES[@]} packages" >&2; exit 1; }
# The check run.sh relies on: unpacked, the tree has what the build looks for.
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
for deb in "$DEST"/debs/*.deb; do dpkg -x "$deb" "$check"; done
lib=$check/usr/lib/x86_64-linux-gnu
for f in usr/include/yaml-cpp/yaml.h usr/include/spdlog/spdlog.h usr/include/fmt/core.h \
         usr/include/sqlite3.h usr/include/hdf5/serial/hdf5.h usr/include/boost/beast.hpp \
         usr/include/nlohmann/json.hpp usr/include/CLI/CLI.hpp usr/include/zlib.h \
         usr/include/stb/stb_image.h usr/include/gtest/gtest.h usr/include/openssl/ssl.h \
         usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so \
         usr/lib/x86_64-linux-gnu/hdf5/serial/libhdf5.so usr/lib/x86_64-linux-gnu/libyaml-cpp.so \
         usr/lib/x86_64-linux-gnu/libspdlog.so usr/lib/x86_64-linux-gnu/libfmt.so \
         usr/lib/x86_64-linux-gnu/libsqlite3.so usr/lib/x86_64-linux-gnu/libssl.so; do
  [[ -e $check/$f ]] || { echo "fetch-debs: $f is missing from the packages" >&2; exit 1; }
done
# Libraries of the tree that need something neither the tree nor this system's base has.
missing=$(LD_LIBRARY_PATH=$lib:$lib/hdf5/serial ldd "$lib/openmpi/lib/libmpi.so" \
  "$lib/hdf5/serial/libhdf5.so" "$lib/libyaml-cpp.so" "$lib/libspdlog.so" 2>/dev/null |
  grep 'not found' | sort -u || true)
[[ -z $missing ]] || { echo "fetch-debs: unresolved: $missing" >&2; exit 1; }
echo "fetch-debs: $n packages, $(du -sh "$DEST/debs" | cut -f1) as .debs" \
  "($(du -sh "$check" | cut -f1) unpacked) in $DEST"
