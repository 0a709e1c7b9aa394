# What `cmake --install` puts in place (GNU layout; the .deb in debian/ uses it as is):
#   bin/relaylab
#   share/man/man1/relaylab.1, relaylab-<command>.1   made from --help by help2man, when found
#   share/relaylab/policies/, share/relaylab/scenarios/{library,profiles}/, scenario.schema.json
#   share/doc/relaylab/ README.md and docs/
# The data keeps the source tree's shape under share/relaylab, so a path that works from a
# checkout (scenarios/library/x.json) works as /usr/share/relaylab/scenarios/library/x.json.
include(GNUInstallDirs)

install(TARGETS relaylab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set(RELAYLAB_DATADIR ${CMAKE_INSTALL_DATADIR}/relaylab)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/policies DESTINATION ${RELAYLAB_DATADIR} FILES_MATCHING PATTERN "*.json")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/library ${PROJECT_SOURCE_DIR}/scenarios/profiles
        DESTINATION ${RELAYLAB_DATADIR}/scenarios FILES_MATCHING PATTERN "*.json")
install(FILES ${PROJECT_SOURCE_DIR}/scenarios/scenario.schema.json DESTINATION ${RELAYLAB_DATADIR}/scenarios)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Man pages: help2man (Debian `help2man`) runs `relaylab --help` and `relaylab <command> --help`
# for every command that `relaylab --help` lists (cmake/manpages.cmake), after relaylab is built.
# Part of `all`, not of `--target relaylab` (./dev.sh demo builds only that).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(man_dir ${PROJECT_BINARY_DIR}/man)
  add_custom_command(OUTPUT ${man_dir}/relaylab.1
    COMMAND ${CMAKE_COMMAND} -DRELAYLAB=$<TARGET_FILE:relaylab> -DHELP2MAN=${HELP2MAN} -DOUT=${man_dir}
            -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/manpages.cmake
    DEPENDS relaylab ${PROJECT_SOURCE_DIR}/cmake/manpages.cmake
    COMMENT "Man pages from --help (help2man)")
  add_custom_target(manpages ALL DEPENDS ${man_dir}/relaylab.1)
  install(DIRECTORY ${man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1")
else()
  message(STATUS "help2man not found: no man pages (apt-get install help2man)")
endif()
