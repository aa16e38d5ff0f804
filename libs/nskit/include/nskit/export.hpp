#pragma once
// What libnskit.so exports.  The shared library is built with
// -fvisibility=hidden -fvisibility-inlines-hidden, so a declaration is
// visible to a consumer only if it is marked NSKIT_API or lies between
// NSKIT_API_BEGIN and NSKIT_API_END: the body of every public header (not
// detail/ headers, which only the library and its own tests use).  A linker
// version script (libs/nskit/build/nskit.map) keeps the standard library's
// instantiations for nskit's types out of the dynamic symbol table.
#define NSKIT_API __attribute__((visibility("default")))
#define NSKIT_API_BEGIN _Pragma("GCC visibility push(default)")
#define NSKIT_API_END _Pragma("GCC visibility pop")
