# Debian ships freeDiameter 1.2.1 without a pkg-config file or CMake package
# (notes/freediameter-1.2.1.md section 1, "Linking"): both libfdcore and
# libfdproto must be linked, and libfdcore.h pulls in GnuTLS headers.
find_path(FD_INCLUDE_DIR freeDiameter/libfdcore.h REQUIRED)
find_library(FDCORE_LIB fdcore REQUIRED)
find_library(FDPROTO_LIB fdproto REQUIRED)
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls)
add_library(freediameter INTERFACE)
target_include_directories(freediameter SYSTEM INTERFACE ${FD_INCLUDE_DIR})
target_link_libraries(freediameter INTERFACE ${FDCORE_LIB} ${FDPROTO_LIB} PkgConfig::GNUTLS Threads::Threads)
set(FD_EXTENSION_DIR "/usr/lib/freeDiameter" CACHE PATH "Where dict_nasreq.fdx and dict_eap.fdx live")
