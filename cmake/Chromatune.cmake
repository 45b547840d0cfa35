# Shared helpers for chromatune targets.
include(GoogleTest)

set(CHROMATUNE_WARNINGS -Wall -Wextra -Wno-unused-parameter)
if(CHROMATUNE_WERROR)
  list(APPEND CHROMATUNE_WARNINGS -Werror)
endif()
# GCC 12 reports false -Wmaybe-uninitialized inside libstdc++ (std::regex, std::optional)
# when ASan instruments it; the normal build keeps the warning.
set(CHROMATUNE_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=all -Wno-maybe-uninitialized)

# ct_target_defaults(TARGET): warnings, include root, sanitizers.
function(ct_target_defaults target)
  target_compile_options(${target} PRIVATE ${CHROMATUNE_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  if(CHROMATUNE_SANITIZE)
    target_compile_options(${target} PUBLIC ${CHROMATUNE_SANITIZER_FLAGS})
    target_link_options(${target} PUBLIC ${CHROMATUNE_SANITIZER_FLAGS})
  endif()
endfunction()

# ct_library(NAME SOURCES... [DEPS libs...]): one static library per folder.
function(ct_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SOURCES)
    return()  # a folder without code yet has no library
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  ct_target_defaults(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# ct_use_torch(TARGET): link LibTorch and share one precompiled <torch/torch.h>, which saves
# about a third of the ~33 s each LibTorch source costs to compile on two cores.
function(ct_use_torch target)
  target_link_libraries(${target} PUBLIC torch)
  if(TARGET ct_torch_pch)
    target_precompile_headers(${target} REUSE_FROM ct_torch_pch)
  endif()
endfunction()

# ct_test(NAME SOURCES... DEPS libs... [LABELS l...]): a GoogleTest binary whose tests ctest
# discovers one by one when run (not at build time, so the build stays fast).
function(ct_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  ct_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set(props TIMEOUT ${ARG_TIMEOUT})
  if(ARG_LABELS)
    list(APPEND props LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES ${props}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    ENVIRONMENT "CHROMATUNE_BIN=${PROJECT_BINARY_DIR}/chromatune")
endfunction()
