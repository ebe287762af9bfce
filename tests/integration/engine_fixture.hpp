// Peer engines without a terminal against a real server on 127.0.0.1: several engines
// share the test's io_context; the server runs on its own thread.
#pragma once

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peer/engine/engine.hpp"
#include "tests/integration/harness.hpp"

namespace parley::test {

using peer::Event;

struct EnginePeer {
  EnginePeer(asio::io_context& io, const TempDir& dir, const std::string& name, std::uint16_t port) {
    peer::PeerConfig config;
    config.port = std::to_string(port);
    config.user = name;
    config.data_dir = dir / name;
    config.share_dir = dir / name;
    config.download_dir = dir / name / "downloads";
    std::filesystem::create_directories(config.data_dir);
    engine = std::make_unique<peer::Engine>(io, config);
    engine->subscribe([this](const Event& e) { events.push_back(e); });
    engine->on_finished([this](int code) { exit_code = code; });
  }
  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& e : events)
      if (auto* t = std::get_if<T>(&e)) out.push_back(*t);
    return out;
  }
  template <class T>
  bool has(const std::function<bool(const T&)>& match = {}) const {
    for (const auto& t : all<T>())
      if (!match || match(t)) return true;
    return false;
  }
  std::unique_ptr<peer::Engine> engine;
  std::vector<Event> events;
  std::optional<int> exit_code;
};

struct Fixture {
  TestServer server{[](server::ServerConfig& c) { c.timeout = std::chrono::seconds(300); }};
  TempDir dir;
  asio::io_context io;

  // Runs the loop until `done` or the deadline; false on timeout.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.run_for(10ms);
      io.restart();
    }
    return true;
  }
  // Runs what is ready now, so coroutines an engine's finish() woke end before the
  // engine is destroyed, not after.
  void drain() {
    do io.restart();
    while (io.poll() > 0);
    io.restart();
  }
  // Runs an awaitable to its end on the loop.
  template <class T>
  T run(asio::awaitable<T> task) {
    std::optional<T> result;
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
      if (e) std::rethrow_exception(e);
      result = std::move(value);
    });
    REQUIRE(run_until([&] { return result.has_value(); }, 30s));
    return std::move(*result);
  }
  std::unique_ptr<EnginePeer> log_in(const std::string& name, std::uint16_t port = 0) {
    auto p = std::make_unique<EnginePeer>(io, dir, name, port ? port : server.port());
    const std::string password = name + "123";  // outlives the coroutine that reads it
    auto outcome = run(p->engine->log_in(name, password, false));
    REQUIRE_MESSAGE(outcome.ok(), outcome.message);
    p->engine->start();
    return p;
  }
  bool execute(EnginePeer& p, const std::string& line) {
    auto parsed = peer::parse_command(line);
    REQUIRE_MESSAGE(parsed.command, parsed.error.message);
    return run(p.engine->execute(*parsed.command));
  }
};

}  // namespace parley::test
