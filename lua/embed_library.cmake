# cmake -P script: concatenates the Lua area files into the `flowfabric`
# library text and writes a C++ source embedding it.
#
# Inputs: FF_LUA_DIR, FF_LUA_AREAS ('|'-separated file names, in order),
#         FF_LUA_OUT_TEXT (the .lua written for inspection / redis-cli),
#         FF_LUA_OUT_CPP (the generated C++ source).
#
# Version = "<lua/VERSION>.<first 8 hex of SHA1(concatenated area files)>",
# so any edit of any area file changes the version and makes `prepare`
# reload the library. The hashed text excludes the header that carries the
# version itself.

string(REPLACE "|" ";" areas "${FF_LUA_AREAS}")

file(READ "${FF_LUA_DIR}/VERSION" base_version)
string(STRIP "${base_version}" base_version)
if(NOT base_version MATCHES "^[0-9]+$")
  message(FATAL_ERROR "lua/VERSION must hold a decimal number, found '${base_version}'")
endif()

set(body "")
foreach(area IN LISTS areas)
  file(READ "${FF_LUA_DIR}/${area}" text)
  if(NOT text MATCHES "\n$")
    string(APPEND text "\n")
  endif()
  string(APPEND body "\n-- ===== ${area} =====\n${text}")
endforeach()

string(SHA1 digest "${body}")
string(SUBSTRING "${digest}" 0 8 short_digest)
set(version "${base_version}.${short_digest}")

set(library "#!lua name=flowfabric\n")
string(APPEND library "-- Generated from lua/*.lua by lua/embed_library.cmake; do not edit.\n")
string(APPEND library "local FF_LIBRARY_VERSION = '${version}'\n")
string(APPEND library "${body}")

# The raw string literal ends at `)ffLua"`; refuse a library containing it.
set(delimiter "ffLua")
string(FIND "${library}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "the Lua library contains ')${delimiter}\"', which ends the C++ raw string")
endif()

file(WRITE "${FF_LUA_OUT_TEXT}" "${library}")
file(WRITE "${FF_LUA_OUT_CPP}"
"// Generated from lua/*.lua by lua/embed_library.cmake; do not edit.
#include \"backends/valkey/valkey_backend.hpp\"

namespace ff {

const std::string& flowfabric_library_source() {
  static const std::string source = R\"${delimiter}(${library})${delimiter}\";
  return source;
}

const std::string& flowfabric_library_version() {
  static const std::string version = \"${version}\";
  return version;
}

} // namespace ff
")
