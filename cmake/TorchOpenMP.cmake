# strobe_torch_openmp: what Strobe code needs for at::parallel_for to run in parallel.
#
# With LibTorch's OpenMP backend (AT_PARALLEL_OPENMP in ATen/Config.h), at::parallel_for is inline in
# ATen/ParallelOpenMP.h and spreads its loop over threads only in code compiled with OpenMP (_OPENMP); compiled
# without, it runs the whole loop on the calling thread (the CPU mixing kernel did). So Strobe's code is compiled with
# OpenMP and linked against the OpenMP runtime LibTorch itself loads, so that one runtime's threads serve both and
# at::set_num_threads governs them: Debian's libgomp.so.1, or the renamed copy PyTorch's wheels ship beside
# libtorch_cpu.so (torch/lib, or torch.libs on some platforms). With the native backend the target is empty.
add_library(strobe_torch_openmp INTERFACE)
find_file(STROBE_ATEN_CONFIG ATen/Config.h PATHS ${TORCH_INCLUDE_DIRS} NO_DEFAULT_PATH)
set(_strobe_torch_openmp OFF)
if(STROBE_ATEN_CONFIG)
  file(STRINGS "${STROBE_ATEN_CONFIG}" _strobe_openmp_define REGEX "#define AT_PARALLEL_OPENMP 1")
  if(_strobe_openmp_define)
    set(_strobe_torch_openmp ON)
  endif()
endif()

if(_strobe_torch_openmp)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  target_compile_options(strobe_torch_openmp INTERFACE $<$<COMPILE_LANGUAGE:CXX>:${OpenMP_CXX_FLAGS}>)
  # The runtime libtorch_cpu.so names (DT_NEEDED), found where the wheel keeps its own copies.
  get_filename_component(_strobe_torch_lib_dir "${TORCH_LIBRARY}" DIRECTORY)
  find_library(STROBE_TORCH_CPU_LIBRARY torch_cpu HINTS "${_strobe_torch_lib_dir}" NO_DEFAULT_PATH)
  find_program(STROBE_READELF readelf)
  set(_strobe_omp_runtime "")
  if(STROBE_TORCH_CPU_LIBRARY AND STROBE_READELF)
    execute_process(COMMAND "${STROBE_READELF}" -d "${STROBE_TORCH_CPU_LIBRARY}" OUTPUT_VARIABLE _strobe_needed
                    ERROR_QUIET)
    string(REGEX MATCH "lib[gi]?omp[^]]*" _strobe_omp_runtime "${_strobe_needed}")
  endif()
  if(NOT _strobe_omp_runtime)
    message(FATAL_ERROR "LibTorch uses OpenMP, but the OpenMP runtime libtorch_cpu.so loads could not be read "
                        "(readelf: '${STROBE_READELF}', libtorch_cpu: '${STROBE_TORCH_CPU_LIBRARY}'); install binutils.")
  endif()
  find_file(STROBE_TORCH_OPENMP_RUNTIME "${_strobe_omp_runtime}"
            PATHS "${_strobe_torch_lib_dir}" "${_strobe_torch_lib_dir}/../../torch.libs" NO_DEFAULT_PATH)
  if(STROBE_TORCH_OPENMP_RUNTIME)
    target_link_libraries(strobe_torch_openmp INTERFACE "${STROBE_TORCH_OPENMP_RUNTIME}" Threads::Threads)
  else()
    target_link_libraries(strobe_torch_openmp INTERFACE OpenMP::OpenMP_CXX)  # the system's, as LibTorch's
  endif()
  message(STATUS "Strobe: LibTorch's OpenMP runtime ${_strobe_omp_runtime} (${STROBE_TORCH_OPENMP_RUNTIME})")
endif()
