# Cross-compiling for aarch64 Linux with Debian's g++-aarch64-linux-gnu, e.g.
#   cmake -S tests/aarch64 -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
# Libraries and pkg-config files come from the arm64 multiarch packages
# (dpkg --add-architecture arm64; libgtest-dev:arm64, libpcre2-dev:arm64).
# Binaries run under qemu-aarch64 (ctest uses CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Debian multiarch: arm64 libraries live in /usr/lib/aarch64-linux-gnu, headers
# are shared in /usr/include. Search only there for libraries, never the host's.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# QEMU_CPU (e.g. max, cortex-a53) picks the emulated CPU at run time. Link the
# executables statically (tests/aarch64 does): dynamic ones would need -L and
# the matching arm64 glibc.
find_program(CRUCIBLE_QEMU_AARCH64 qemu-aarch64)
if(CRUCIBLE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CRUCIBLE_QEMU_AARCH64})
endif()
