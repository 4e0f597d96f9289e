# Fuzz target of protocol/: the frame decoder (segment table checks, capnp reader, typed
# conversion and its sanity rules). Seed corpus: tests/fuzz/corpus/protocol/.
if(TARGET mf_protocol)
  mf_add_fuzzer(fuzz_protocol SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_protocol.cpp LIBS mf_protocol)
endif()
