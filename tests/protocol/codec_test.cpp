// Round trips of every message kind through one zmq frame, and the typed sanity checks.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <string>

#include <capnp/message.h>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"
#include "sample_messages.hpp"

using namespace mf::protocol;

namespace {

envelope round_trip(const envelope& in) {
  auto frame = encode(in);
  REQUIRE(frame.has_value());
  CHECK(frame->size() % 8 == 0);
  auto out = decode(*frame);
  if (!out) FAIL("decode failed: " << out.error().message);
  return *out;
}

envelope sample_of(std::size_t index) {
  return test::sample_envelopes().at(index);
}

predict_request& request_of(envelope& e) {
  return std::get<predict_request>(e.body);
}

}  // namespace

TEST_CASE("every message kind survives encode -> decode unchanged") {
  std::set<std::size_t> kinds;
  for (const auto& message : test::sample_envelopes()) {
    CAPTURE(kind_name(message.body));
    CHECK(round_trip(message) == message);
    kinds.insert(message.body.index());
  }
  // The samples cover every alternative of the body variant.
  CHECK(kinds.size() == std::variant_size_v<body>);
}

TEST_CASE("header fields and optional version travel") {
  envelope in = sample_of(1);
  in.head.sender = "worker-9";
  in.head.epoch = 123456789012345ull;
  auto out = round_trip(in);
  CHECK(out.head.sender == "worker-9");
  CHECK(out.head.epoch == 123456789012345ull);
  CHECK(request_of(out).version == std::optional<std::int64_t>(3));
  CHECK(std::get<predict_request>(round_trip(sample_of(2)).body).version == std::nullopt);
}

TEST_CASE("a predict body's own id, deadline and tenant win over the header") {
  envelope in = sample_of(1);
  in.head = header{};  // empty header: make_envelope-style callers may forget it
  request_of(in).request_id = 777;
  request_of(in).deadline_unix_ms = 5;
  request_of(in).tenant = "acme";
  auto out = round_trip(in);
  CHECK(out.head.request_id == 777);
  CHECK(out.head.deadline_unix_ms == 5);
  CHECK(out.head.tenant == "acme");
  CHECK(request_of(out).tenant == "acme");

  auto wrapped = make_envelope(request_of(in), "client");
  CHECK(wrapped.head.request_id == 777);
  CHECK(wrapped.head.sender == "client");
}

TEST_CASE("a predict batch from the router's pointer encoder decodes as the typed encode's") {
  const predict_request a{7, 1'700'000'001'000, "t1", "churn", std::nullopt, 2, {1.5, -2.5}};
  const predict_request b{8, 0, "t2", "fraud", 4, 1, {0.5, 0.25, 3.0}};
  const std::vector<const predict_request*> items{&a, &b};
  auto fast = encode_predict_batch(items, "router-a");
  REQUIRE(fast.has_value());
  envelope typed;
  typed.head.sender = "router-a";
  typed.body = predict_batch_request{{a, b}};
  auto slow = encode(typed);
  REQUIRE(slow.has_value());
  auto slow_out = decode(*slow);
  REQUIRE(slow_out.has_value());
  CHECK(*slow_out == typed);
  auto fast_out = decode(*fast);
  REQUIRE(fast_out.has_value());
  CHECK(*fast_out == typed);
  // Each item keeps its own id, deadline and tenant; the outer header carries none of them.
  const auto& got = std::get<predict_batch_request>(fast_out->body);
  CHECK(got.items.at(0).request_id == 7);
  CHECK(got.items.at(0).deadline_unix_ms == 1'700'000'001'000);
  CHECK(got.items.at(1).tenant == "t2");
  CHECK(fast_out->head.request_id == 0);
}

TEST_CASE("insane predict batches are invalid_input naming the item") {
  auto decode_batch = [](envelope e) {
    auto frame = encode(e);
    REQUIRE(frame.has_value());
    return decode(*frame);
  };
  const predict_request good{1, 0, "t", "m", std::nullopt, 3, {1, 2, 3}};
  envelope e;
  e.body = predict_batch_request{};
  auto empty = decode_batch(e);
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().code == mf::errc::invalid_input);
  CHECK(empty.error().message.find("no items") != std::string::npos);

  auto bad = good;
  bad.features[1] = std::numeric_limits<double>::quiet_NaN();
  e.body = predict_batch_request{{good, bad}};
  auto nan = decode_batch(e);
  REQUIRE_FALSE(nan.has_value());
  CHECK(nan.error().code == mf::errc::invalid_input);
  CHECK(nan.error().message.find("item 1") != std::string::npos);
  CHECK(nan.error().message.find("NaN") != std::string::npos);

  e.body = predict_batch_request{std::vector<predict_request>(max_batch_items + 1, good)};
  auto many = decode_batch(e);
  REQUIRE_FALSE(many.has_value());
  CHECK(many.error().message.find("exceed") != std::string::npos);

  // A reply smuggled into a batch of requests (and the reverse) is refused.
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<wire::Envelope>();
  auto items = root.getBody().initPredictBatchRequest().initItems(1);
  items[0].getBody().initPredictReply().setModel("m");
  auto frame = to_zmq_message(builder);
  REQUIRE(frame.has_value());
  auto wrong = decode(*frame);
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().message.find("wrong body kind") != std::string::npos);
}

TEST_CASE("error codes map 1:1 onto mf::errc numbers") {
  for (std::uint16_t n = 0; n <= static_cast<std::uint16_t>(mf::errc::cancelled); ++n) {
    envelope in{header{1, 0, "t", "s", 0}, mf::error{static_cast<mf::errc>(n), "m"}};
    auto out = round_trip(in);
    CHECK(std::get<mf::error>(out.body).code == static_cast<mf::errc>(n));
  }
  // A code from a newer peer that we do not know becomes internal, not UB.
  capnp::MallocMessageBuilder builder;
  auto env = builder.initRoot<wire::Envelope>();
  env.getBody().initError().setCode(999);
  auto frame = to_zmq_message(builder);
  REQUIRE(frame.has_value());
  auto out = decode(*frame);
  REQUIRE(out.has_value());
  CHECK(std::get<mf::error>(out->body).code == mf::errc::internal);
}

TEST_CASE("a large predict batch (10,000 rows) round-trips in one frame") {
  predict_request r{9, 0, "t1", "m", std::nullopt, 16, {}};
  r.features.resize(10'000 * 16);
  for (std::size_t i = 0; i < r.features.size(); ++i) r.features[i] = static_cast<double>(i) * 0.5;
  auto out = round_trip(make_envelope(r));
  CHECK(request_of(out) == r);
  CHECK(request_of(out).rows() == 10'000);
}

TEST_CASE("insane predict requests are invalid_input") {
  auto expect_invalid = [](predict_request r, const char* why) {
    CAPTURE(why);
    auto frame = encode(make_envelope(std::move(r)));
    REQUIRE(frame.has_value());
    auto out = decode(*frame);
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == mf::errc::invalid_input);
  };
  predict_request base{1, 0, "t", "m", std::nullopt, 3, {1, 2, 3}};
  auto r = base;
  r.n_features = 0;
  expect_invalid(r, "nFeatures 0");
  r = base;
  r.features.push_back(4);
  expect_invalid(r, "4 values for 3 features");
  r = base;
  r.features.clear();
  expect_invalid(r, "no rows");
  r = base;
  r.features[1] = std::numeric_limits<double>::quiet_NaN();
  expect_invalid(r, "NaN");
  r = base;
  r.features[2] = -std::numeric_limits<double>::infinity();
  expect_invalid(r, "Inf");
  r = base;
  r.n_features = 1;
  r.features.assign(max_predict_rows + 1, 1.0);
  expect_invalid(r, "10,001 rows");
  r = base;
  r.n_features = max_features + 1;
  r.features.assign(max_features + 1, 1.0);
  expect_invalid(r, "too many features");
}

TEST_CASE("insane replies, training and node messages are invalid_input") {
  auto expect_invalid = [](envelope e, const char* why) {
    CAPTURE(why);
    auto frame = encode(e);
    REQUIRE(frame.has_value());
    auto out = decode(*frame);
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == mf::errc::invalid_input);
  };
  {
    envelope e = sample_of(3);
    std::get<predict_reply>(e.body).probabilities.pop_back();
    expect_invalid(e, "probabilities not rows x columns");
  }
  {
    envelope e = sample_of(5);
    std::get<train_assign>(e.body).labels.pop_back();
    expect_invalid(e, "labels != rows");
  }
  {
    envelope e = sample_of(5);
    std::get<train_assign>(e.body).validation_split = 1.0;
    expect_invalid(e, "validation split 1");
  }
  {
    envelope e = sample_of(5);
    std::get<train_assign>(e.body).params[0].value = std::nan("");
    expect_invalid(e, "NaN param");
  }
  {
    envelope e = sample_of(6);
    std::get<train_progress>(e.body).progress = 1.5;
    expect_invalid(e, "progress > 1");
  }
  {
    envelope e = sample_of(10);
    std::get<model_event>(e.body).kind = static_cast<model_event_kind>(9);
    expect_invalid(e, "unknown event kind");
  }
  {
    envelope e = sample_of(15);
    std::get<node_info>(e.body).state = static_cast<node_state>(7);
    expect_invalid(e, "unknown node state");
  }
}

TEST_CASE("a training assignment may name a dataset blob instead of carrying rows") {
  envelope e = sample_of(5);
  auto& a = std::get<train_assign>(e.body);
  a.n_features = 0;
  a.features.clear();
  a.labels.clear();
  a.dataset_key = "t1/_datasets/j7.json";
  CHECK(round_trip(e) == e);
  // Both forms at once is ambiguous: refused.
  envelope both = sample_of(5);
  std::get<train_assign>(both.body).dataset_key = "t1/_datasets/j7.json";
  auto frame = encode(both);
  REQUIRE(frame.has_value());
  auto out = decode(*frame);
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == mf::errc::invalid_input);
}

TEST_CASE("kmeans training data without labels is valid") {
  envelope e = sample_of(5);
  std::get<train_assign>(e.body).labels.clear();
  CHECK(round_trip(e) == e);
}

TEST_CASE("frame_reader keeps the zmq message alive and exposes the kind") {
  auto frame = encode(sample_of(1));
  REQUIRE(frame.has_value());
  const auto size = frame->size();
  auto reader = frame_reader::open(std::move(*frame));
  REQUIRE(reader.has_value());
  frame_reader moved = std::move(*reader);  // the reader must survive a move
  CHECK(moved.kind() == wire::Envelope::Body::PREDICT_REQUEST);
  CHECK(moved.size_bytes() == size);
  CHECK(moved.root().getBody().getPredictRequest().getNFeatures() == 3);
  auto typed = decode(moved);
  REQUIRE(typed.has_value());
  CHECK(*typed == sample_of(1));
}

TEST_CASE("small frames stored inside zmq_msg_t decode too") {
  // A ping frame is tiny: libzmq keeps such messages inline (possibly unaligned) in the
  // message_t itself. The reader must copy or pin it.
  auto frame = encode(envelope{header{}, ping{}});
  REQUIRE(frame.has_value());
  auto reader = frame_reader::open(std::move(*frame));
  REQUIRE(reader.has_value());
  frame_reader moved = std::move(*reader);
  auto typed = decode(moved);
  REQUIRE(typed.has_value());
  CHECK(std::holds_alternative<ping>(typed->body));
}

// Writes the seed corpus of fuzz_protocol when MF_WRITE_PROTOCOL_CORPUS names a directory:
//   MF_WRITE_PROTOCOL_CORPUS=tests/fuzz/corpus/protocol
//   build-protocol/tests/protocol/protocol_codec_test
TEST_CASE("seed corpus writer (no-op unless asked)") {
  const char* dir = std::getenv("MF_WRITE_PROTOCOL_CORPUS");
  if (dir == nullptr) return;
  int i = 0;
  for (const auto& message : test::sample_envelopes()) {
    auto frame = encode(message);
    REQUIRE(frame.has_value());
    std::ofstream out(std::string(dir) + "/" + std::string(kind_name(message.body)) + "-" +
                          std::to_string(i++) + ".bin",
                      std::ios::binary);
    out.write(static_cast<const char*>(frame->data()), static_cast<std::streamsize>(frame->size()));
    CHECK(out.good());
  }
}

TEST_CASE("relay: the header words of every encoded kind are found and patch in place") {
  for (const auto& sample : mf::protocol::test::sample_envelopes()) {
    envelope in = sample;
    auto frame = encode(in);
    REQUIRE(frame);
    const std::span<const std::byte> bytes(static_cast<const std::byte*>(frame->data()),
                                           frame->size());
    auto offset = header_words_offset(bytes);
    REQUIRE(offset);
    patch_header_word(*frame, *offset, 0x0123456789abcdefULL);
    patch_header_word(*frame, *offset + 8, 424242);
    auto out = decode(
        std::span<const std::byte>(static_cast<const std::byte*>(frame->data()), frame->size()));
    REQUIRE(out);
    CHECK(out->head.request_id == 0x0123456789abcdefULL);
    CHECK(out->head.deadline_unix_ms == 424242);
    // Nothing else moved: the same envelope encoded with those ids decodes to the same body.
    envelope want = in;
    want.head.request_id = 0x0123456789abcdefULL;
    want.head.deadline_unix_ms = 424242;
    if (auto* r = std::get_if<predict_request>(&want.body)) {
      r->request_id = want.head.request_id;
      r->deadline_unix_ms = want.head.deadline_unix_ms;
    }
    if (auto* r = std::get_if<mf::protocol::predict_reply>(&want.body))
      r->request_id = want.head.request_id;
    CHECK(out->body == round_trip(want).body);
  }
}

TEST_CASE("relay: frames without a near root struct of two words are left to decode") {
  auto frame = encode(sample_of(1));
  REQUIRE(frame);
  std::vector<std::byte> bytes(static_cast<const std::byte*>(frame->data()),
                               static_cast<const std::byte*>(frame->data()) + frame->size());
  CHECK(header_words_offset(bytes).has_value());
  CHECK_FALSE(header_words_offset(std::span(bytes).first(8)).has_value());  // table only
  auto far = bytes;
  far[8] = std::byte{0x02};  // root pointer made a far pointer
  CHECK_FALSE(header_words_offset(far).has_value());
  auto short_data = bytes;
  short_data[12] = std::byte{0x01};  // data section of one word
  short_data[13] = std::byte{0x00};
  CHECK_FALSE(header_words_offset(short_data).has_value());
  auto beyond = bytes;
  beyond[11] = std::byte{0x7f};  // offset far past the segment
  CHECK_FALSE(header_words_offset(beyond).has_value());
}
