# cmake -DRELAYLAB=path -DHELP2MAN=path -DOUT=dir -DVERSION=x.y.z -P manpages.cmake
# One man page per command that `relaylab --help` lists (relaylab-run.1, relaylab-serve.1, ...) and
# relaylab.1, each made by help2man from the command's own --help. help2man runs a program with
# --help: a small wrapper script per command (`relaylab CMD "$@"`) stands in for it.
foreach(v RELAYLAB HELP2MAN OUT VERSION)
  if(NOT ${v})
    message(FATAL_ERROR "manpages.cmake: -D${v}= is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT}/wrappers)
execute_process(COMMAND ${RELAYLAB} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "manpages.cmake: `${RELAYLAB} --help` failed (${rc})")
endif()

function(man name program summary)
  execute_process(COMMAND ${HELP2MAN} --no-info --no-discard-stderr --version-string=${VERSION}
                          --name=${summary} --section=1 --output=${OUT}/${name}.1 ${program}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "manpages.cmake: help2man for ${name} failed: ${err}")
  endif()
endfunction()

man(relaylab ${RELAYLAB} "simulator of a mobile carrier's outbound mail gateway")
# The command list: "  NAME  SUMMARY" lines after "commands:".
string(REGEX REPLACE ".*commands:\n" "" list "${help}")
string(REPLACE "\n" ";" lines "${list}")
set(count 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^  ([a-z][a-z0-9-]*) +(.+)$")
    set(cmd ${CMAKE_MATCH_1})
    set(summary ${CMAKE_MATCH_2})
    set(wrapper ${OUT}/wrappers/relaylab-${cmd})
    file(WRITE ${wrapper} "#!/bin/sh\nexec '${RELAYLAB}' ${cmd} \"$@\"\n")
    file(CHMOD ${wrapper} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    man(relaylab-${cmd} ${wrapper} "${summary}")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "manpages.cmake: no commands found in `relaylab --help`")
endif()
file(REMOVE_RECURSE ${OUT}/wrappers)
message(STATUS "manpages.cmake: relaylab.1 and ${count} command pages in ${OUT}")
