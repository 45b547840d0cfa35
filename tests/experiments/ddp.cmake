# Data-parallel tests under mpirun: tests/experiments/ddp/mpi/ (not globbed into ddp_test,
# which runs thread ranks in one process). 2 ranks is the case the issue names; 3 ranks adds
# a world size that is not a power of two (the mean is then not exact in floating point).
if(TARGET ct_experiments_torch AND TARGET ct_worker)
  add_executable(ddp_mpi_test ${CMAKE_CURRENT_LIST_DIR}/ddp/mpi/equivalence_test.cc)
  ct_target_defaults(ddp_mpi_test)
  target_link_libraries(ddp_mpi_test PRIVATE ct_experiments_torch ct_worker GTest::gtest
                                             GTest::gtest_main)
  ct_use_torch(ddp_mpi_test)
  foreach(ranks 2 3)
    add_test(NAME ddp_mpi_test.np${ranks}
      COMMAND ${MPIEXEC_EXECUTABLE} --allow-run-as-root --oversubscribe --bind-to none
              ${MPIEXEC_NUMPROC_FLAG} ${ranks} $<TARGET_FILE:ddp_mpi_test>)
    set_tests_properties(ddp_mpi_test.np${ranks} PROPERTIES LABELS "torch;mpi" TIMEOUT 300)
  endforeach()
endif()
