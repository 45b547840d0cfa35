# `chromatune submit --launcher slurm` run as a user runs it: --dry-run output, bad options
# (exit 2, one clear line), a missing sbatch. Its own binary because it needs the chromatune
# executable built. Real submissions: tests/cluster/slurm_test.py.
if(TARGET chromatune AND TARGET ct_worker)
  ct_test(submit_slurm_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/submit_slurm/submit_slurm_test.cc
          DEPS ct_worker)
  target_compile_definitions(submit_slurm_test PRIVATE
    CHROMATUNE_EXE="$<TARGET_FILE:chromatune>")
  add_dependencies(submit_slurm_test chromatune)
endif()
