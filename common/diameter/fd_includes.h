#pragma once
// The one place that includes freeDiameter's C headers; every .cc of the
// facade includes this file instead of <freeDiameter/...> directly.
//
// Order matters: freeDiameter-host.h carries the build configuration of the
// installed library (HAVE_* macros, the host's types), and libfdproto.h, which
// libfdcore.h includes, stops with #error "You must include
// 'freeDiameter-host.h' before this file" when it comes first
// (notes/freediameter-1.2.1.md sec. 1, "C++ compatibility of the headers").
//
// Further traps of these headers in C++ (same section):
// * fd_msg_browse() and fd_fifo_post/get() are macros C++ rejects: call
//   fd_msg_browse_internal() / fd_fifo_*_int() with an explicit cast;
// * char* fields and parameters (dict_*_data names, fd_msg_rescode_set) need
//   const_cast<char*>() for literals; freeDiameter copies the strings;
// * no designated initializers: value-initialise ({}) or memset, then assign;
// * the headers leak the macros LOG, ASSERT, TODO, CHECK_*, TRACE_* and the
//   enumerators NONE, INFO, FULL, ANNOYING, FCTS, CALL into the global
//   namespace, so include this file after other libraries' headers and do not
//   use those names.

// IWYU pragma: begin_exports
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>
// IWYU pragma: end_exports
