# CLI-level tests of `chromatune sweep validate|plan`: a GoogleTest binary that runs the built
# chromatune executable (its path compiled in) on fixture files it writes itself.
ct_test(sweep_cli_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sweep/cli/sweep_cli_test.cc
        DEPS ct_experiments)
target_compile_definitions(sweep_cli_test PRIVATE
  CHROMATUNE_BIN_PATH="$<TARGET_FILE:chromatune>")
add_dependencies(sweep_cli_test chromatune)
