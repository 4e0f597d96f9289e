# Fuzz target of the router's REST predict parser (nodes/router/predict_json.cpp, compiled in
# directly: the router library pulls RESTinio, which the fuzz build does not need).
# Seed corpus: tests/fuzz/corpus/predict_json/.
mf_add_fuzzer(fuzz_predict_json
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_predict_json.cpp
          ${PROJECT_SOURCE_DIR}/nodes/router/predict_json.cpp
  LIBS mf_common simdjson::simdjson)
target_include_directories(fuzz_predict_json PRIVATE ${PROJECT_SOURCE_DIR})
