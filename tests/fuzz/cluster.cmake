# Fuzz target of cluster/: everything that parses outside input (Redis URLs, names, stored JSON
# records, Redis protocol replies through hiredis' reader and our owning copy).
mf_add_fuzzer(fuzz_cluster_input
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_cluster_input.cpp
  LIBS mf_cluster PkgConfig::HIREDIS)
