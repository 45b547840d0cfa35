// Linked into the test binaries that initialise MPI. Under AddressSanitizer it runs
// LeakSanitizer's check when every test is done but before the process exits, with
// OpenMPI's own leaks suppressed: OpenMPI, finalised at exit, unloads its dynamically loaded
// MCA components, after which LSan reports their memory as leaks from unknown modules that
// no suppression can name (docs/decisions.md); before that, with the slow unwinder (the MPI
// libraries have no frame pointers), every such stack names its OpenMPI library. Leaks of
// chromatune's code are still found and fail the test as they would at exit.
#include <gtest/gtest.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>

// Stacks of allocations made inside OpenMPI and its runtime libraries unwind into them.
extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }

// OpenMPI 4.1, PMIx, hwloc and libevent keep or lose a few hundred bytes per process
// (strdup'ed MCA parameters, hwloc bitmaps, coll/adapt requests): theirs to fix.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libmpi.so\n"
         "leak:libopen-pal.so\n"
         "leak:libopen-rte.so\n"
         "leak:libpmix.so\n"
         "leak:libhwloc.so\n"
         "leak:libevent\n"
         "leak:/openmpi/lib/openmpi3/\n";
}

namespace {

class LeakCheckBeforeMpiExit : public ::testing::Environment {
 public:
  void TearDown() override { __lsan_do_leak_check(); }
};

const auto* const kLeakCheck = ::testing::AddGlobalTestEnvironment(new LeakCheckBeforeMpiExit);

}  // namespace
#endif
