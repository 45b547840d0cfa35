// Which BLAS LibTorch uses here, and who sets its thread count. Debian's LibTorch calls the
// generic libblas.so.3, which the alternatives system may point at the reference BLAS (slow)
// or at OpenBLAS; chromatune's speed figures assume the OpenMP build of OpenBLAS, whose
// thread count follows OpenMP's, which torch::set_num_threads sets. A machine where this
// fails runs 2 to 10 times slower than the recorded benchmarks (fix: install
// libopenblas0-openmp, or `update-alternatives --config libblas.so.3-x86_64-linux-gnu`).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>
#include <torch/torch.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// Resolved paths (symlinks followed) of every shared object loaded in this process.
std::vector<std::string> LoadedObjects() {
  std::vector<std::string> paths;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;
        char resolved[PATH_MAX];
        const char* path = realpath(info->dlpi_name, resolved) ? resolved : info->dlpi_name;
        static_cast<std::vector<std::string>*>(out)->push_back(path);
        return 0;
      },
      &paths);
  return paths;
}

bool Contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// The file that provides a symbol as the process resolves it ("" if none).
std::string Provider(const char* symbol) {
  void* address = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info;
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "";
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
}

class BlasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Make sure the BLAS is loaded and initialised, as it is after any training step.
    torch::set_num_threads(1);
    const torch::Tensor a = torch::randn({256, 256});
    ASSERT_GT(torch::matmul(a, a).abs().sum().item<float>(), 0.0f);
  }
};

TEST_F(BlasTest, OpenBlasIsLoaded) {
  bool openblas = false;
  for (const std::string& path : LoadedObjects()) openblas |= Contains(path, "openblas");
  EXPECT_TRUE(openblas) << "no libopenblas among the loaded shared objects";
}

TEST_F(BlasTest, GemmComesFromOpenBlas) {
  // sgemm_ is what LibTorch's CPU BLAS path calls for float matrix products.
  const std::string provider = Provider("sgemm_");
  EXPECT_TRUE(Contains(provider, "openblas")) << "sgemm_ comes from '" << provider << "'";
}

TEST_F(BlasTest, OpenBlasThreadsFollowOpenMp) {
  // openblas_get_parallel: 0 single-threaded build, 1 pthreads, 2 OpenMP. Only the OpenMP
  // build takes its thread count from OpenMP at every call.
  auto get_parallel = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
  ASSERT_NE(get_parallel, nullptr);
  EXPECT_EQ(get_parallel(), 2) << "OpenBLAS is not the OpenMP build";
  // One OpenMP runtime: OpenBLAS and LibTorch share libgomp (two runtimes would each keep
  // their own thread count).
  int runtimes = 0;
  for (const std::string& path : LoadedObjects()) {
    runtimes +=
        Contains(path, "libgomp") || Contains(path, "libiomp") || Contains(path, "/libomp.so");
  }
  EXPECT_EQ(runtimes, 1);
}

TEST_F(BlasTest, SetNumThreadsGovernsTheOpenMpCount) {
  auto omp_max = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  ASSERT_NE(omp_max, nullptr);
  for (int n : {1, 2, 3, 1}) {
    torch::set_num_threads(n);
    EXPECT_EQ(torch::get_num_threads(), n);
    EXPECT_EQ(omp_max(), n) << "OpenBLAS would use " << omp_max() << " threads, not " << n;
  }
  torch::set_num_threads(1);
}

}  // namespace
