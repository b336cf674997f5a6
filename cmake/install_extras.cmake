# Install steps that depend on the prefix given at install time (cmake --install --prefix, CPack's /usr).
# The systemd units name the installed binary.
foreach(unit orch-serve.service orch-gc.service orch-gc.timer)
  file(READ "${ORCH_SRC}/deploy/systemd/${unit}" text)
  string(REPLACE "/usr/bin/orch" "${CMAKE_INSTALL_PREFIX}/${ORCH_BINDIR}/orch" text "${text}")
  file(WRITE "${ORCH_BUILD}/units/${unit}" "${text}")
  file(INSTALL "${ORCH_BUILD}/units/${unit}" DESTINATION "${CMAKE_INSTALL_PREFIX}/${ORCH_UNITDIR}")
endforeach()
# Debian's zsh reads /usr/share/zsh/vendor-completions; every zsh reads /usr/local/share/zsh/site-functions.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(zsh_dir "${CMAKE_INSTALL_PREFIX}/${ORCH_DATADIR}/zsh/vendor-completions")
else()
  set(zsh_dir "${CMAKE_INSTALL_PREFIX}/${ORCH_DATADIR}/zsh/site-functions")
endif()
file(INSTALL "${ORCH_BUILD}/share/_orch" DESTINATION "${zsh_dir}")
