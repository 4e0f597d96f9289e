# Fuzz targets of mf_ml: the artifact loader and the two dataset parsers.
mf_add_fuzzer(fuzz_artifact SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_artifact.cpp LIBS mf_ml)
mf_add_fuzzer(fuzz_dataset_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_dataset_json.cpp LIBS mf_ml)
mf_add_fuzzer(fuzz_dataset_csv SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_dataset_csv.cpp LIBS mf_ml)
