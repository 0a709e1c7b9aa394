# Compiles data files (DIR/*.json) into the binary as (name, text) pairs, so that shipped
# policies and MTA profiles work wherever the binary is, with no data directory to install.
# Usage: cmake -DSRC_DIR=... -DOUT=... -DINCLUDE=<header declaring FUNCTION> -DNAMESPACE=<ns> -DTYPE=<element type>
#              -DFUNCTION=<name> -P embed_json.cmake
# The generated FUNCTION() returns `const std::vector<TYPE>&`; TYPE is built from {name, text}.
file(GLOB files ${SRC_DIR}/*.json)
list(SORT files)
set(body "// Generated from ${SRC_DIR}/*.json by cmake/embed_json.cmake. Do not edit.\n#include \"${INCLUDE}\"\n\nnamespace ${NAMESPACE} {\n\nconst std::vector<${TYPE}>& ${FUNCTION}() {\n    static const std::vector<${TYPE}> all{\n")
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} text)
  string(APPEND body "        {\"${name}\", R\"relaylab_json(${text})relaylab_json\"},\n")
endforeach()
string(APPEND body "    };\n    return all;\n}\n\n}  // namespace ${NAMESPACE}\n")
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
