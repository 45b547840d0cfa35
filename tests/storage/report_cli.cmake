# `chromatune report` run as a user runs it: exit codes, messages and output on a real store.
# Its own binary (not storage_test) because it needs the chromatune executable built.
if(TARGET chromatune AND TARGET ct_storage)
  ct_test(report_cli_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/report_cli/report_cli_test.cc
          DEPS ct_storage)
  target_compile_definitions(report_cli_test PRIVATE
    CHROMATUNE_EXE="$<TARGET_FILE:chromatune>")
  add_dependencies(report_cli_test chromatune)
endif()
