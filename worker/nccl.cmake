# The NCCL communicator (worker/nccl_communicator.cc) as its own library, ct_nccl, built only
# where LibTorch was built with CUDA and nccl.h plus the CUDA runtime are found. CPU builds
# skip it entirely: the file is taken out of ct_worker's globbed sources here.
#
# Hints for machines without a CUDA toolkit (for example the pip torch + nvidia-* wheels,
# see bench/gpu/run.sh): CHROMATUNE_NCCL_ROOT (holding include/nccl.h and lib/libnccl.so*)
# and CHROMATUNE_CUDA_RUNTIME_ROOT (include/cuda_runtime_api.h and lib/libcudart.so*).
if(TARGET ct_worker)
  get_target_property(ct_worker_sources ct_worker SOURCES)
  list(FILTER ct_worker_sources EXCLUDE REGEX "nccl_communicator\\.cc$")
  set_property(TARGET ct_worker PROPERTY SOURCES ${ct_worker_sources})
endif()

set(CHROMATUNE_NCCL_ROOT "" CACHE PATH "Prefix holding include/nccl.h and lib/libnccl.so*")
set(CHROMATUNE_CUDA_RUNTIME_ROOT "" CACHE PATH
    "Prefix holding include/cuda_runtime_api.h and lib/libcudart.so*")

if(CHROMATUNE_WITH_TORCH AND TARGET ct_worker AND (TORCH_CUDA_LIBRARIES OR TARGET torch_cuda))
  find_path(CT_NCCL_INCLUDE_DIR nccl.h
    HINTS ${CHROMATUNE_NCCL_ROOT} ENV NCCL_ROOT ${CUDAToolkit_INCLUDE_DIRS}
    PATH_SUFFIXES include)
  find_library(CT_NCCL_LIBRARY NAMES nccl libnccl.so.2
    HINTS ${CHROMATUNE_NCCL_ROOT} ENV NCCL_ROOT ${CUDAToolkit_LIBRARY_DIR}
    PATH_SUFFIXES lib lib64)
  find_path(CT_CUDART_INCLUDE_DIR cuda_runtime_api.h
    HINTS ${CHROMATUNE_CUDA_RUNTIME_ROOT} ${CUDAToolkit_INCLUDE_DIRS} ${CUDA_INCLUDE_DIRS}
          /usr/local/cuda
    PATH_SUFFIXES include)
  find_library(CT_CUDART_LIBRARY NAMES cudart libcudart.so.13 libcudart.so.12
    HINTS ${CHROMATUNE_CUDA_RUNTIME_ROOT} ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda
    PATH_SUFFIXES lib lib64)
  if(CT_NCCL_INCLUDE_DIR AND CT_NCCL_LIBRARY AND CT_CUDART_INCLUDE_DIR AND CT_CUDART_LIBRARY)
    add_library(ct_nccl STATIC ${CMAKE_CURRENT_LIST_DIR}/nccl_communicator.cc)
    ct_target_defaults(ct_nccl)
    target_include_directories(ct_nccl SYSTEM PUBLIC ${CT_NCCL_INCLUDE_DIR}
                                                     ${CT_CUDART_INCLUDE_DIR})
    target_link_libraries(ct_nccl PUBLIC ct_common ${CT_NCCL_LIBRARY} ${CT_CUDART_LIBRARY})
    target_compile_definitions(ct_nccl PUBLIC CHROMATUNE_HAVE_NCCL=1)
    # Trials on GPUs reduce gradients over NCCL (worker/device_comm.cc).
    target_link_libraries(ct_worker PUBLIC ct_nccl)
    message(STATUS "NCCL communicator: ${CT_NCCL_LIBRARY}")
  else()
    message(STATUS "NCCL communicator: skipped (CUDA LibTorch but no nccl.h / CUDA runtime; "
                   "set CHROMATUNE_NCCL_ROOT and CHROMATUNE_CUDA_RUNTIME_ROOT)")
  endif()
endif()
