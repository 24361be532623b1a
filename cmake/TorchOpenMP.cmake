# strobe_torch_openmp: what Strobe code needs for at::parallel_for to run in parallel.
#
# With LibTorch's OpenMP backend, at::parallel_for is inline in ATen/ParallelOpenMP.h and spreads its loop over
# threads only in code compiled with OpenMP (_OPENMP); compiled without, it runs the whole loop on the calling
# thread (the CPU mixing kernel did). So such code is compiled with -fopenmp and linked against the OpenMP runtime
# LibTorch itself loads, so that one runtime's threads serve both and at::set_num_threads governs them: Debian's
# libgomp.so.1, or the renamed copy PyTorch's wheels ship next to libtorch_cpu.so. With the native backend
# at::parallel_for needs nothing and the target is empty.
add_library(strobe_torch_openmp INTERFACE)
set(_strobe_torch_omp "")
get_filename_component(_strobe_torch_lib_dir "${TORCH_LIBRARY}" DIRECTORY)
find_library(STROBE_TORCH_CPU_LIBRARY torch_cpu HINTS "${_strobe_torch_lib_dir}" NO_DEFAULT_PATH)
if(STROBE_TORCH_CPU_LIBRARY)
  execute_process(COMMAND readelf -d "${STROBE_TORCH_CPU_LIBRARY}" OUTPUT_VARIABLE _strobe_torch_needed ERROR_QUIET)
  string(REGEX MATCH "lib[gi]omp[^]]*" _strobe_torch_omp "${_strobe_torch_needed}")
endif()
if(_strobe_torch_omp)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  target_compile_options(strobe_torch_openmp INTERFACE $<$<COMPILE_LANGUAGE:CXX>:${OpenMP_CXX_FLAGS}>)
  if(EXISTS "${_strobe_torch_lib_dir}/${_strobe_torch_omp}")
    target_link_libraries(strobe_torch_openmp INTERFACE "${_strobe_torch_lib_dir}/${_strobe_torch_omp}"
                                                        Threads::Threads)
  else()
    target_link_libraries(strobe_torch_openmp INTERFACE OpenMP::OpenMP_CXX)
  endif()
  message(STATUS "Strobe: LibTorch's OpenMP runtime ${_strobe_torch_omp}")
else()
  message(STATUS "Strobe: LibTorch needs no OpenMP runtime in its callers")
endif()
