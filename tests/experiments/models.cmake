# models_test (globbed from models/*_test.cc by CMakeLists.txt) needs the TorchScript fixture
# that tests/experiments/models/export_tiny_torchscript.py exports with Debian's
# python3-torch; it is built next to the test binary.
if(TARGET models_test)
  find_program(CT_PYTHON3_WITH_TORCH NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  set(CT_TS_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/models/export_tiny_torchscript.py)
  set(CT_TS_FIXTURE ${CMAKE_CURRENT_BINARY_DIR}/tiny_torchscript.pt)
  set(CT_TS_BROKEN ${CMAKE_CURRENT_BINARY_DIR}/tiny_torchscript_broken.pt)
  add_custom_command(
    OUTPUT ${CT_TS_FIXTURE} ${CT_TS_BROKEN}
    COMMAND ${CT_PYTHON3_WITH_TORCH} ${CT_TS_SCRIPT} ${CT_TS_FIXTURE}
    COMMAND ${CT_PYTHON3_WITH_TORCH} ${CT_TS_SCRIPT} ${CT_TS_BROKEN} --broken
    DEPENDS ${CT_TS_SCRIPT}
    COMMENT "Exporting the tiny TorchScript test fixture (python3-torch)")
  add_custom_target(models_test_fixture DEPENDS ${CT_TS_FIXTURE} ${CT_TS_BROKEN})
  add_dependencies(models_test models_test_fixture)
  target_compile_definitions(models_test PRIVATE CT_TINY_TORCHSCRIPT="${CT_TS_FIXTURE}"
                                                 CT_TINY_TORCHSCRIPT_BROKEN="${CT_TS_BROKEN}")
endif()
