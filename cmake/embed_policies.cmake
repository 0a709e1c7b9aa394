# Generates a C++ file holding the shipped policies (policies/*.json), so that `policy:
# "legacy-2009"` works wherever the binary is, with no data directory to install.
# Usage: cmake -DSRC_DIR=... -DOUT=... -P embed_policies.cmake
file(GLOB files ${SRC_DIR}/*.json)
list(SORT files)
set(body "// Generated from policies/*.json by cmake/embed_policies.cmake. Do not edit.\n#include \"gateway/shipped_policies.hpp\"\n\nnamespace relaylab::gw {\n\nconst std::vector<ShippedPolicy>& shipped_policies() {\n    static const std::vector<ShippedPolicy> all{\n")
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} text)
  string(APPEND body "        {\"${name}\", R\"relaylab_policy(${text})relaylab_policy\"},\n")
endforeach()
string(APPEND body "    };\n    return all;\n}\n\n}  // namespace relaylab::gw\n")
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
