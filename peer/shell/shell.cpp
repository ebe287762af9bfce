#include "peer/shell/shell.hpp"

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <iostream>
#include <semaphore>
#include <thread>

#include "peer/json/json_view.hpp"
#include "peer/shell/line_editor.hpp"
#include "peer/shell/prompt.hpp"
#include "peer/shell/status_line.hpp"
#include "peer/shell/text_view.hpp"

namespace parley::peer {

// Reads script lines on a thread of its own (stdin may be a pipe, a file or a
// terminal; a blocking read works for all), one line per request so nothing is read
// ahead of the command that needs it.
struct ScriptReader {
  std::counting_semaphore<> wanted{0};
};

Shell::Shell(asio::io_context& io, Engine& engine)
    : io_(io),
      engine_(engine),
      config_(engine.config()),
      line_ready_(io.get_executor()),
      signals_(io, SIGINT, SIGTERM, SIGHUP) {
  engine_.subscribe([this](const Event& event) { on_event(event); });
  engine_.on_finished([this](int exit_code) { finished(exit_code); });
}

Shell::~Shell() = default;

int Shell::run() {
  if (!config_.interactive) start_script_reader();
  signals_.async_wait([this](std::error_code ec, int signal_number) {
    if (!ec) on_signal(signal_number);
  });
  asio::co_spawn(io_, main_flow(), net::LogExceptions{"peer"});
  io_.run();
  if (editor_) editor_->stop();
  return exit_code_;
}

void Shell::start_script_reader() {
  script_ = std::make_shared<ScriptReader>();
  std::thread([script = script_, executor = io_.get_executor(), this] {
    for (;;) {
      script->wanted.acquire();
      std::string line;
      std::optional<std::string> item;
      if (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        item = std::move(line);
      }
      const bool eof = !item;
      // `this` outlives the loop: run() returns only after io_ stopped, and a line posted
      // to a stopped io_context is never delivered.
      asio::post(executor, [this, item = std::move(item)]() mutable {
        typed_.push_back(std::move(item));
        line_ready_.notify();
      });
      if (eof) return;
    }
  }).detach();
}

void Shell::start_editor() {
  editor_ = std::make_unique<LineEditor>(
      io_.get_executor(), fmt::format("{}> ", engine_.user()), config_.data_dir / "history",
      LineEditor::Callbacks{.on_line =
                                [this](std::string line) {
                                  typed_.push_back(std::move(line));
                                  line_ready_.notify();
                                },
                            .on_eof =
                                [this] {
                                  typed_.push_back(std::nullopt);
                                  line_ready_.notify();
                                },
                            .complete = [this](const std::string& line, int) { return complete(line); }});
  editor_->start();
}

asio::awaitable<std::optional<std::string>> Shell::next_line(std::string_view prompt, bool secret) {
  if (config_.interactive && !editor_) {
    // Before the shell starts (login prompts) a plain blocking read is what we want.
    const std::string text(prompt);
    std::string line = secret ? read_password(text) : read_line(text);
    if (!std::cin) co_return std::nullopt;
    co_return line;
  }
  if (script_ && typed_.empty()) script_->wanted.release();
  while (typed_.empty()) {
    co_await line_ready_.wait();
    if (done_) co_return std::nullopt;
  }
  auto line = std::move(typed_.front());
  typed_.pop_front();
  co_return line;
}

asio::awaitable<void> Shell::main_flow() {
  const bool logged_in = co_await log_in();
  if (!logged_in) {
    engine_.finish(1);
    co_return;
  }
  engine_.start();
  if (config_.interactive) start_editor();
  co_await command_loop();
}

asio::awaitable<void> Shell::command_loop() {
  while (!done_) {
    auto line = co_await next_line("");
    if (done_) co_return;
    if (!line) {
      co_await end_of_input();
      co_return;
    }
    auto parsed = parse_command(*line);
    if (parsed.empty) {
      engine_.touch();  // Enter: "I am still here", or log back in
      continue;
    }
    if (!parsed.command) {
      on_event(ev::Error{parsed.error.command, parsed.error.message});
      continue;
    }
    const Command command = std::move(*parsed.command);
    try {
      co_await engine_.execute(command);
    } catch (const std::exception& e) {
      // A bug in one command must not leave a shell that reads lines nobody runs.
      on_event(ev::Error{std::string(command_name(command)), fmt::format("internal error: {}", e.what())});
    }
  }
}

// A script that ends right after `download` still gets its file: downloads finish (or
// fail) before the logout. Ctrl-D at a terminal leaves at once.
asio::awaitable<void> Shell::end_of_input() {
  if (!config_.interactive) {
    const Command wait = cmd::Wait{};
    co_await engine_.execute(wait);
  }
  co_await engine_.shut_down(0);
}

void Shell::on_signal(int signal_number) {
  signals_.async_wait([this](std::error_code ec, int n) {
    if (!ec) on_signal(n);
  });
  if (leaving_) {
    engine_.finish(128 + signal_number);  // a second signal: no more waiting for goodbyes
    return;
  }
  // Like bash: Ctrl-C drops the line being typed; on an empty line it leaves.
  if (signal_number == SIGINT && editor_ && editor_->clear_line()) return;
  leaving_ = true;
  // Scripts and daemons get the usual 128 + signal; a person's Ctrl-C is a plain logout.
  const int exit_code = signal_number == SIGINT && editor_ ? 0 : 128 + signal_number;
  asio::co_spawn(io_, engine_.shut_down(exit_code), net::LogExceptions{"leave"});
}

void Shell::finished(int exit_code) {
  if (done_) return;
  done_ = true;
  exit_code_ = exit_code;
  if (editor_) editor_->stop();
  line_ready_.notify();
  signals_.cancel();
  io_.stop();
}

void Shell::print(const std::string& line) {
  if (line.empty()) return;
  if (editor_) {
    editor_->print(line);
  } else {
    std::cout << line << std::endl;  // flushed: scripts see every line at once
  }
}

void Shell::on_event(const Event& event) {
  if (config_.json) {
    for (const auto& object : to_json(event)) print(json_line(object));
    return;
  }
  if (auto* running = std::get_if<ev::Running>(&event)) {
    if (editor_) show_status(running->downloads);
    return;
  }
  const TextStyle style{.color = config_.color,
                        .interactive = config_.interactive,
                        .bell = config_.interactive && config_.bell,
                        .self = engine_.user(),
                        .clock = {}};
  print(render(event, style));
}

// One line for every running download, in front of the prompt, fitted to the terminal
// with room left to type a short command before the line wraps.
void Shell::show_status(const std::vector<DownloadView>& running) {
  constexpr std::size_t kRoomToType = 24;
  const auto columns = static_cast<std::size_t>(editor_->columns());
  const auto prompt = engine_.user().size() + 2;
  const std::size_t width = columns > prompt + kRoomToType + 20 ? columns - prompt - kRoomToType : 20;
  editor_->set_status(running.empty() ? "" : status_line(running, width));
}

std::vector<std::string> Shell::complete(const std::string& line) const {
  std::vector<std::string> out;
  switch (completion_kind(line)) {
    case CompletionKind::kCommand: {
      const bool slash = !line.empty() && line.front() == '/';
      for (const auto& name : command_names()) out.push_back(slash ? "/" + name : name);
      break;
    }
    case CompletionKind::kUser:
      out = engine_.online_users();
      for (auto& linked : engine_.linked_users()) out.push_back(linked);
      for (const auto& blocked : engine_.blocked_users()) out.push_back(blocked);  // for unblock
      break;
    case CompletionKind::kFile:
      out = engine_.file_names();
      break;
    case CompletionKind::kNone:
      break;
  }
  return out;
}

}  // namespace parley::peer
