# `chromatune trial` from the command line (issue 3): bad specs exit 2 with a message naming
# the problem; a real one-item trial pretrains its (tiny) backbone into a cache under the
# build tree and prints the result JSON with metrics.accuracy.
if(TARGET chromatune AND CHROMATUNE_WITH_TORCH)
  set(ct_trial_bin $<TARGET_FILE:chromatune>)
  add_test(NAME cli_trial_bad_json
    COMMAND sh -c "\"$0\" trial --spec '{not json' 2>err.txt; rc=$?; cat err.txt; \
test $rc -eq 2 && grep -q 'not valid JSON' err.txt" ${ct_trial_bin}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  add_test(NAME cli_trial_missing_file
    COMMAND sh -c "\"$0\" trial --spec @/nonexistent/item.json 2>err2.txt; rc=$?; \
cat err2.txt; test $rc -eq 2 && grep -q '/nonexistent/item.json' err2.txt" ${ct_trial_bin}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  add_test(NAME cli_trial_bad_param
    COMMAND sh -c "\"$0\" trial --quiet --spec '{\"task\":\"classification\",\
\"dataset\":\"fashion-mnist\",\"backbone\":\"builtin:tiny-clip\",\"method\":\"coop\",\
\"params\":{\"ctx_len\":0}}' 2>err3.txt; rc=$?; cat err3.txt; \
test $rc -eq 2 && grep -q 'params.ctx_len' err3.txt" ${ct_trial_bin}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  add_test(NAME cli_trial_zero_shot
    COMMAND sh -c "\"$0\" trial --quiet --cache-dir trial_cache --spec '{\"task\":\
\"classification\",\"dataset\":\"fashion-mnist\",\"backbone\":\
\"builtin:tiny-clip?steps=5&batch_size=8\",\"method\":\"zero-shot\",\"eval_size\":20}' \
>out.json && grep -q '\"accuracy\"' out.json" ${ct_trial_bin}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(cli_trial_bad_json cli_trial_missing_file cli_trial_bad_param
    cli_trial_zero_shot PROPERTIES LABELS "torch;cli" TIMEOUT 600)
endif()

# methods_test runs zero-shot and CoOp trials through `torchscript:PATH`; the fixture is the
# models area's tiny exported dual encoder (random weights), exported next to the binary.
if(TARGET methods_test)
  find_program(CT_METHODS_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  set(CT_METHODS_TS_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/models/export_tiny_torchscript.py)
  set(CT_METHODS_TS ${CMAKE_CURRENT_BINARY_DIR}/methods_tiny_torchscript.pt)
  add_custom_command(
    OUTPUT ${CT_METHODS_TS}
    COMMAND ${CT_METHODS_PYTHON3} ${CT_METHODS_TS_SCRIPT} ${CT_METHODS_TS}
    DEPENDS ${CT_METHODS_TS_SCRIPT}
    COMMENT "Exporting the tiny TorchScript fixture for methods_test (python3-torch)")
  add_custom_target(methods_test_fixture DEPENDS ${CT_METHODS_TS})
  add_dependencies(methods_test methods_test_fixture)
  target_compile_definitions(methods_test PRIVATE CT_METHODS_TORCHSCRIPT="${CT_METHODS_TS}")
endif()
