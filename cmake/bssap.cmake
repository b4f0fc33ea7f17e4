# Shared build conventions for bssap-probe targets.

# bssap_target_options(<target>): our warning set and sanitizer flags for code we own.
# Third-party headers are included as SYSTEM so -Werror applies to our code only.
function(bssap_target_options target)
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  # GCC 12 at -O2/-O3 reports -Wrestrict inside libstdc++'s own std::string code for
  # `"literal" + std::string` (GCC bug 105329, fixed in 13): noise in a system header, not in ours.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

# Sanitizer preset: BSSAP_SANITIZE=ON adds ASan + UBSan to everything built here.
option(BSSAP_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(BSSAP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# bssap_add_catch_test(<name> SOURCES ... LIBS ... [TIMEOUT S]): one Catch2 executable per layer,
# each TEST_CASE registered with ctest so a failure names the layer and the case (TIMEOUT: 600 s).
function(bssap_add_catch_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  bssap_target_options(${name})
  target_link_libraries(${name} PRIVATE bssap_catch_main ${ARG_LIBS})
  target_compile_definitions(${name} PRIVATE
    BSSAP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    BSSAP_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
  catch_discover_tests(${name} TEST_PREFIX "${name}:" PROPERTIES TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()

# bssap_add_fuzzer(<name> SOURCES ... LIBS ...): a libFuzzer target (clang only).
function(bssap_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  bssap_target_options(${name})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
endfunction()

# bssap_add_bench(<name> SOURCES ... LIBS ...): a release benchmark executable that prints figures.
function(bssap_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  bssap_target_options(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin/bench)
endfunction()
