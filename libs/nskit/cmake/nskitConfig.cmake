# CMake package for nskit: find_package(nskit) gives the target nskit::nskit.
# Relocatable: everything is found relative to this file (PREFIX/lib/cmake/nskit).
get_filename_component(_nskit_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET nskit::nskit)
  add_library(nskit::nskit SHARED IMPORTED)
  set_target_properties(nskit::nskit PROPERTIES
    IMPORTED_LOCATION "${_nskit_prefix}/lib/libnskit.so"
    INTERFACE_INCLUDE_DIRECTORIES "${_nskit_prefix}/include"
    INTERFACE_COMPILE_FEATURES cxx_std_20)
  if(EXISTS "${_nskit_prefix}/lib/libnskit.a")
    add_library(nskit::nskit_static STATIC IMPORTED)
    set_target_properties(nskit::nskit_static PROPERTIES
      IMPORTED_LOCATION "${_nskit_prefix}/lib/libnskit.a"
      INTERFACE_INCLUDE_DIRECTORIES "${_nskit_prefix}/include"
      INTERFACE_LINK_LIBRARIES "mnl"
      INTERFACE_COMPILE_FEATURES cxx_std_20)
  endif()
endif()
set(nskit_FOUND TRUE)
unset(_nskit_prefix)
