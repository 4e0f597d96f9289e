// redis_client and redis_subscriber against real redis-servers: replies as values, pipelining,
// scripts, AUTH/ACL/SELECT from the URL, fast failure while Redis is down, reconnects, and no
// acknowledged write lost across a kill -9 with appendonly yes.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cluster/redis_client.hpp"
#include "cluster/redis_subscriber.hpp"
#include "tests/cluster/shared_redis.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::cluster;
using namespace std::chrono_literals;
using mf::cluster::test::shared_redis;
using mf::test::redis_server_fixture;
using mf::test::redis_server_options;
using mf::test::wait_until;

TEST_CASE("redis client: replies are owning values, binary-safe") {
  auto c = redis_client::connect(shared_redis().url());
  REQUIRE(c);
  const std::string key = "bin:\x01\x00:k";
  const std::string value("a\0b\r\nc", 6);
  auto set = c->command({"SET", key, value});
  REQUIRE(set);
  CHECK(set->is_status());
  CHECK(set->str() == "OK");
  auto get = c->command({"GET", key});
  REQUIRE(get);
  CHECK(get->as_string() == value);
  CHECK(c->command({"GET", "missing"})->is_nil());
  CHECK(c->command({"INCRBY", "n", "41"})->as_integer() == 41);
  REQUIRE(c->command({"RPUSH", "l", "x", "y"}));
  auto arr = c->command({"LRANGE", "l", "0", "-1"});
  REQUIRE(arr);
  REQUIRE(arr->is_array());
  REQUIRE(arr->elements().size() == 2);
  CHECK(arr->elements()[1].str() == "y");
  auto err = c->command({"INCR", "l"});  // wrong type: an error reply, still a value
  REQUIRE(err);
  CHECK(err->is_error());
  CHECK(err->str().rfind("WRONGTYPE", 0) == 0);
  CHECK(c->command(redis_argv{}).error().code == mf::errc::internal);
}

TEST_CASE("redis client: pipeline and scripts (EVALSHA with NOSCRIPT fallback)") {
  auto c = redis_client::connect(shared_redis().url());
  REQUIRE(c);
  std::vector<redis_argv> cmds;
  for (int i = 0; i < 100; ++i) cmds.push_back({"INCR", "pipe:counter"});
  auto replies = c->pipeline(cmds);
  REQUIRE(replies);
  REQUIRE(replies->size() == 100);
  for (int i = 0; i < 100; ++i) CHECK((*replies)[i].as_integer() == i + 1);

  redis_script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  CHECK(script.sha1().size() == 40);
  REQUIRE(c->command({"SCRIPT", "FLUSH"}));
  auto r1 = c->eval(script, {"script:n"}, {"5"});  // unknown to the server: EVAL fallback
  REQUIRE(r1);
  CHECK(r1->as_integer() == 5);
  auto exists = c->command({"SCRIPT", "EXISTS", script.sha1()});
  REQUIRE(exists);
  CHECK(exists->elements().at(0).as_integer() == 1);
  CHECK(c->eval(script, {"script:n"}, {"5"})->as_integer() == 10);
}

TEST_CASE("redis client: AUTH, ACL user and db index from the URL") {
  redis_server_options opts;
  opts.requirepass = "s3cret";
  redis_server_fixture server(opts);
  auto ok = redis_client::connect(server.url(2));
  REQUIRE(ok);
  REQUIRE(ok->command({"SET", "where", "db2"}));
  auto db0 = redis_client::connect(server.url(0));
  REQUIRE(db0);
  CHECK(db0->command({"GET", "where"})->is_nil());  // SELECT 2 really happened
  CHECK(ok->command({"GET", "where"})->as_string() == std::string("db2"));

  const std::string base = "127.0.0.1:" + std::to_string(server.port());
  auto wrong = redis_client::connect("redis://:nope@" + base + "/0");
  REQUIRE(!wrong);
  CHECK(wrong.error().code == mf::errc::unauthorized);
  auto none = redis_client::connect("redis://" + base + "/0");
  REQUIRE(none);
  auto denied = none->command({"GET", "where"});
  REQUIRE(denied);
  CHECK(denied->is_error());  // NOAUTH comes back as a value

  REQUIRE(db0->command({"ACL", "SETUSER", "alice", "on", ">alicepw", "~*", "+@all"}));
  auto alice = redis_client::connect("redis://alice:alicepw@" + base + "/2");
  REQUIRE(alice);
  CHECK(alice->command({"GET", "where"})->as_string() == std::string("db2"));
  auto bad_alice = redis_client::connect("redis://alice:wrong@" + base + "/0");
  REQUIRE(!bad_alice);
  CHECK(bad_alice.error().code == mf::errc::unauthorized);
  CHECK(redis_client::connect("redis://h:0").error().code == mf::errc::invalid_input);
}

TEST_CASE("redis client: fails fast while Redis is down, reconnects when it is back") {
  redis_server_fixture server;
  redis_options opts;
  opts.connect_timeout = 500ms;
  opts.command_timeout = 500ms;
  auto c = redis_client::connect(server.url(), opts);
  REQUIRE(c);
  REQUIRE(c->command({"SET", "k", "v"}));
  server.kill9();
  for (int i = 0; i < 20; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = c->command({"GET", "k"});
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(!r);
    CHECK(r.error().code == mf::errc::unavailable);
    CHECK(took < 1500ms);  // bounded by the timeouts, never blocks forever
  }
  CHECK(!c->connected());
  server.restart();
  CHECK(wait_until([&] { return c->command({"PING"}).has_value(); }, 10s));
  CHECK(c->connected());
  // Lazy connect: a client may be made while Redis is down and work later.
  opts.lazy_connect = true;
  auto lazy = redis_client::connect("redis://127.0.0.1:1/0", opts);
  REQUIRE(lazy);
  CHECK(lazy->command({"PING"}).error().code == mf::errc::unavailable);
  auto strict = redis_client::connect("redis://127.0.0.1:1/0", redis_options{});
  CHECK(strict.error().code == mf::errc::unavailable);
}

TEST_CASE("redis client: a Redis restart mid-run loses no acknowledged write (appendonly yes)") {
  redis_server_options opts;
  opts.appendonly = true;
  redis_server_fixture server(opts);
  redis_options copts;
  copts.connect_timeout = 500ms;
  copts.command_timeout = 1000ms;
  std::atomic<int> acked{0};
  std::atomic<int> failures{0};
  std::atomic<bool> stop{false};
  const std::string url = server.url();
  std::thread writer([&] {
    auto c = redis_client::connect(url, copts);
    if (!c) return;
    int next = 0;
    while (!stop) {
      auto r = c->command({"SET", "ack:" + std::to_string(next), std::to_string(next)});
      if (r && r->is_status()) {
        ++next;
        acked = next;  // only now acknowledged
      } else {
        ++failures;
        std::this_thread::yield();
      }
    }
  });
  CHECK(wait_until([&] { return acked >= 200; }, 10s));
  server.kill9();  // mid-run: the writer is between commands or inside one
  const int acked_at_kill = acked;
  server.restart();
  // The old connection died with the process: progress now proves the client reconnected.
  CHECK(wait_until([&] { return acked >= acked_at_kill + 200; }, 20s));
  stop = true;
  writer.join();
  const int total = acked;
  MESSAGE("acknowledged writes: " << total << " (" << acked_at_kill << " before the kill), "
                                  << failures.load() << " failed attempts during the outage");
  auto check = redis_client::connect(url);
  REQUIRE(check);
  std::vector<redis_argv> gets;
  for (int i = 0; i < total; ++i) gets.push_back({"GET", "ack:" + std::to_string(i)});
  auto values = check->pipeline(gets);
  REQUIRE(values);
  int lost = 0;
  for (int i = 0; i < total; ++i) lost += (*values)[i].as_string() != std::to_string(i);
  CHECK(lost == 0);  // every acknowledged write survived the crash
}

TEST_CASE("redis subscriber: messages, timeout, re-subscribe after a restart") {
  redis_server_fixture server;
  redis_options opts;
  opts.connect_timeout = 300ms;
  opts.command_timeout = 500ms;
  auto sub = redis_subscriber::connect(server.url(), {"chan:a", "chan:b"}, opts);
  REQUIRE(sub);
  auto pub = redis_client::connect(server.url(), opts);
  REQUIRE(pub);
  REQUIRE(pub->command({"PUBLISH", "chan:b", std::string("hello\0world", 11)}));
  auto m = sub->next_message(2s);
  REQUIRE(m);
  REQUIRE(m->has_value());
  CHECK((*m)->type == pubsub_message::kind::message);
  CHECK((*m)->channel == "chan:b");
  CHECK((*m)->payload == std::string("hello\0world", 11));
  auto quiet = sub->next_message(30ms);
  REQUIRE(quiet);
  CHECK(!quiet->has_value());

  server.kill9();
  auto down = sub->next_message(200ms);
  CHECK(!down.has_value());  // unavailable, after waiting at most the timeout
  server.restart();
  // First the subscriber says it re-subscribed (messages may have been missed) ...
  bool resubscribed = false;
  CHECK(wait_until(
      [&] {
        auto r = sub->next_message(100ms);
        resubscribed = r && r->has_value() && (*r)->type == pubsub_message::kind::resubscribed;
        return resubscribed;
      },
      10s));
  // ... then new messages flow again.
  CHECK(wait_until([&] { return pub->command({"PUBLISH", "chan:a", "again"}).has_value(); }, 5s));
  auto again = sub->next_message(2s);
  REQUIRE(again);
  REQUIRE(again->has_value());
  CHECK((*again)->channel == "chan:a");
  CHECK((*again)->payload == "again");
}

TEST_CASE("redis client: replies above max_reply_bytes are refused, the client recovers") {
  redis_options opts;
  opts.max_reply_bytes = 1000;
  auto c = redis_client::connect(shared_redis().url(), opts);
  REQUIRE(c);
  REQUIRE(c->command({"SET", "big", std::string(5000, 'x')}));
  auto big = c->command({"GET", "big"});
  REQUIRE(!big);
  CHECK(big.error().code == mf::errc::payload_too_large);
  auto arr = c->pipeline({{"RPUSH", "many", "a", "b"}, {"LRANGE", "many", "0", "-1"}});
  REQUIRE(arr);  // small replies still pass
  CHECK(arr->back().elements().size() == 2);
  CHECK(c->command({"SET", "small", "ok"})->is_status());
  CHECK(c->command({"GET", "small"})->as_string() == std::string("ok"));
}
