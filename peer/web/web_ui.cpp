#include "peer/web/web_ui.hpp"

#include <asio/co_spawn.hpp>
#include <iostream>

#include "peer/shell/text_view.hpp"

namespace parley::peer::web {
namespace {

// Enough for a page that was away for a while (a laptop lid) to catch up.
constexpr std::size_t kLogCapacity = 4096;

}  // namespace

WebUi::WebUi(asio::io_context& io, Engine& engine)
    : io_(io),
      engine_(engine),
      log_(kLogCapacity),
      front_(io, engine, log_, engine.config().no_shell),
      server_(engine.config(), front_, log_),
      signals_(io, SIGINT, SIGTERM) {}

int WebUi::run() {
  engine_.subscribe([this](const Event& event) {
    const auto text = render(
        event,
        TextStyle{.color = false, .interactive = false, .bell = false, .self = engine_.user(), .clock = {}});
    if (!text.empty()) std::cerr << text << std::endl;
  });
  engine_.on_finished([this](int exit_code) {
    exit_code_ = exit_code;
    signals_.cancel();
    io_.stop();
  });
  signals_.async_wait([this](std::error_code ec, int n) {
    if (!ec) on_signal(n);
  });
  asio::co_spawn(io_, front_.log_in_at_start(), net::LogExceptions{"login"});
  io_.run();
  return exit_code_;
}

void WebUi::on_signal(int signal_number) {
  signals_.async_wait([this](std::error_code ec, int n) {
    if (!ec) on_signal(n);
  });
  if (std::exchange(leaving_, true)) {
    engine_.finish(0);  // a second signal: no more waiting for goodbyes
    return;
  }
  (void)signal_number;
  asio::co_spawn(io_, engine_.shut_down(0), net::LogExceptions{"leave"});
}

}  // namespace parley::peer::web
