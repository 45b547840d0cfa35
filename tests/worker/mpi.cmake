# The MPI communicator tests under mpirun with 2 and 3 ranks (worker_test runs the same
# files as a singleton). Every rank runs every test; the ctest test fails if any rank fails.
if(TARGET ct_worker)
  add_executable(mpi_test ${CMAKE_CURRENT_LIST_DIR}/mpi_communicator_test.cc
                          ${CMAKE_CURRENT_LIST_DIR}/mpi_env_test.cc
                          ${CMAKE_CURRENT_LIST_DIR}/leak_check_before_mpi_exit.cc)
  ct_target_defaults(mpi_test)
  target_link_libraries(mpi_test PRIVATE ct_worker GTest::gtest GTest::gtest_main)
  foreach(ranks 2 3)
    add_test(NAME mpi_test.np${ranks}
      COMMAND ${MPIEXEC_EXECUTABLE} --allow-run-as-root --oversubscribe --bind-to none
              ${MPIEXEC_NUMPROC_FLAG} ${ranks} $<TARGET_FILE:mpi_test>)
    set_tests_properties(mpi_test.np${ranks} PROPERTIES LABELS mpi TIMEOUT 120)
  endforeach()
endif()

# The NCCL communicator's own test, only where worker/nccl.cmake built ct_nccl (a CUDA
# LibTorch with NCCL); one process on device 0.
if(TARGET ct_nccl)
  ct_test(nccl_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/nccl/nccl_communicator_test.cc
          DEPS ct_nccl LABELS gpu)
endif()
