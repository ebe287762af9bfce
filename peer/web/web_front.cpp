#include "peer/web/web_front.hpp"

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <filesystem>

#include "peer/json/json_view.hpp"
#include "peer/web/web_json.hpp"
#include "shared/util/overloaded.hpp"

namespace parley::peer::web {
namespace {

using Json = nlohmann::ordered_json;

constexpr auto kCommandTimeout = std::chrono::seconds(60);
constexpr auto kStateTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxShareFiles = 1000;

ApiReply refusal(int status, std::string_view command, std::string message) {
  return {status,
          {{"ok", false}, {"error", {{"type", "error"}, {"command", command}, {"message", message}}}}};
}

// The files a page may offer to register: regular files straight in the share folder.
Json share_files(const std::filesystem::path& dir) {
  Json files = Json::array();
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (files.size() >= kMaxShareFiles) break;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    const auto size = it->file_size(type_ec);
    files.push_back({{"name", it->path().filename().string()}, {"size", type_ec ? 0 : size}});
  }
  return files;
}

}  // namespace

WebFront::WebFront(asio::io_context& io, Engine& engine, EventLog& log, bool logs_in)
    : io_(io), engine_(engine), log_(log), logs_in_(logs_in), turn_free_(io.get_executor()) {
  engine_.subscribe([this](const Event& event) { on_event(event); });
}

void WebFront::on_event(const Event& event) {
  std::visit(Overloaded{[&](const ev::LoggedIn&) { started_ = logged_in_ = server_up_ = true; },
                        [&](const ev::LoggedOut&) { logged_in_ = server_up_ = false; },
                        [&](const ev::Server& e) { server_up_ = e.up; }, [](const auto&) {}},
             event);
  for (auto& object : web_json(event)) {
    log_.append(json_line(object));
    if (capture_ != nullptr) capture_->push_back(std::move(object));
  }
}

asio::awaitable<void> WebFront::serve(Work work, std::shared_ptr<std::promise<ApiReply>> promise) {
  ApiReply reply;
  try {
    reply = co_await work();
  } catch (const std::exception& e) {
    reply = refusal(500, "web", fmt::format("internal error: {}", e.what()));
  }
  promise->set_value(std::move(reply));
}

ApiReply WebFront::on_engine_thread(Work work, std::chrono::seconds timeout) {
  if (stopping_) return refusal(503, "web", "the peer is stopping");
  auto promise = std::make_shared<std::promise<ApiReply>>();
  auto answer = promise->get_future();
  asio::post(io_, [this, work = std::move(work), promise]() mutable {
    asio::co_spawn(io_, serve(std::move(work), promise), net::LogExceptions{"web"});
  });
  // In slices, so a stopping peer does not keep its HTTP threads (and its exit) waiting.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (answer.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (stopping_) return refusal(503, "web", "the peer is stopping");
    if (std::chrono::steady_clock::now() > deadline)
      return refusal(504, "web", "the peer did not answer in time");
  }
  return answer.get();
}

ApiReply WebFront::command(Command command) {
  return on_engine_thread([this, command = std::move(command)] { return run_command(command); },
                          kCommandTimeout);
}

ApiReply WebFront::login(LoginForm form) {
  return on_engine_thread([this, form = std::move(form)] { return run_login(form); }, kCommandTimeout);
}

ApiReply WebFront::state() {
  return on_engine_thread([this]() -> asio::awaitable<ApiReply> { co_return snapshot(); }, kStateTimeout);
}

ApiReply WebFront::trust(std::string fingerprint) {
  return on_engine_thread(
      [this, fingerprint = std::move(fingerprint)]() -> asio::awaitable<ApiReply> {
        if (started_ || seen_fingerprint_.empty() || fingerprint != seen_fingerprint_)
          co_return refusal(409, "trust", "that is not the certificate this peer was shown");
        engine_.trust_server();
        trusted_ = true;
        co_return ApiReply{200, {{"ok", true}}};
      },
      kStateTimeout);
}

// One at a time, in the order asked, as the shell runs the lines typed: then the events
// a command emits while it runs are its answer.
asio::awaitable<void> WebFront::take_turn() {
  while (busy_) co_await turn_free_.wait();
  busy_ = true;
}

void WebFront::end_turn() {
  busy_ = false;
  capture_ = nullptr;
  turn_free_.notify();
}

asio::awaitable<ApiReply> WebFront::run_command(Command command) {
  const std::string name(command_name(command));
  if (!started_) co_return refusal(409, name, "log in first");
  co_await take_turn();
  std::vector<Json> events;
  capture_ = &events;
  bool ok = false;
  try {
    ok = co_await engine_.execute(command);
  } catch (const std::exception& e) {
    events.push_back(
        {{"type", "error"}, {"command", name}, {"message", fmt::format("internal error: {}", e.what())}});
  }
  end_turn();
  co_return ApiReply{200, {{"ok", ok}, {"events", events}}};
}

// The certificate of a server never seen before is shown to the page before any
// password goes to it; the page's "trust" pins it.
asio::awaitable<ApiReply> WebFront::check_server() {
  auto connected = co_await engine_.connect(true);
  if (!connected.error.empty()) co_return refusal(200, "connect", connected.error);
  if (connected.first_use) {
    seen_fingerprint_ = connected.fingerprint;
    engine_.hang_up();  // the page may take its time; log_in connects again
    co_return ApiReply{
        200,
        {{"ok", false},
         {"trust", {{"fingerprint", connected.fingerprint}, {"message", connected.pin_message}}}}};
  }
  trusted_ = true;
  co_return ApiReply{200, {{"ok", true}}};
}

asio::awaitable<ApiReply> WebFront::run_login(LoginForm form) {
  if (started_) co_return co_await run_command(cmd::Login{});  // logged out since: log back in
  if (!logs_in_) co_return refusal(409, "login", "this peer logs in at its terminal");
  if (form.user.empty() || form.password.empty())
    co_return refusal(400, "login", "user and password are needed");
  co_await take_turn();
  ApiReply reply;
  try {
    if (!trusted_) reply = co_await check_server();
    if (trusted_) {
      auto outcome = co_await engine_.log_in(form.user, form.password, form.sign_up);
      reply = login_outcome(outcome, form);
    }
  } catch (const std::exception& e) {
    reply = refusal(200, "login", e.what());
  }
  end_turn();
  co_return reply;
}

ApiReply WebFront::login_outcome(const RegistrySession::LoginOutcome& outcome, const LoginForm& form) {
  if (outcome.ok()) {
    engine_.start();
    return {200, {{"ok", true}, {"user", engine_.user()}, {"created", form.sign_up}}};
  }
  auto reply = refusal(200, outcome.connect_failed ? "connect" : "login", outcome.message);
  reply.body["status"] = outcome.connect_failed ? "unreachable" : wire::to_string(outcome.status);
  if (outcome.status == wire::Status::unknown_user && outcome.can_sign_up && !form.sign_up)
    reply.body["can_sign_up"] = true;
  if (outcome.retry_after_s > 0) reply.body["retry_after"] = outcome.retry_after_s;
  return reply;
}

ApiReply WebFront::snapshot() const {
  const auto& config = engine_.config();
  Json online = engine_.online_users(), linked = engine_.linked_users(), files = engine_.file_names();
  // The engine's list: learned from the server after login, so blocks of earlier sessions show.
  Json blocked = engine_.blocked_users();
  return {200,
          {{"user", started_ ? engine_.user() : ""},
           {"logged_in", logged_in_},
           {"started", started_},
           {"can_log_in", logs_in_ && !started_},
           {"server", !started_    ? "offline"
                      : server_up_ ? "connected"
                      : logged_in_ ? "reconnecting"
                                   : "logged out"},
           {"server_address", fmt::format("{}:{}", config.host, config.port)},
           {"online", online},
           {"linked", linked},
           {"blocked", blocked},
           {"files", files},
           {"share_files", share_files(config.share_dir)},
           {"share_dir", config.share_dir.string()},
           {"download_dir", config.download_dir.string()},
           {"last_event_id", log_.last_id()}}};
}

asio::awaitable<void> WebFront::log_in_at_start() {
  const auto& config = engine_.config();
  if (!config.password || config.user.empty()) co_return;
  co_await take_turn();
  auto outcome = co_await engine_.log_in(config.user, *config.password, config.sign_up);
  if (outcome.ok()) {
    trusted_ = true;
    engine_.start();
  } else {
    on_event(ev::Error{outcome.connect_failed ? "connect" : "login", outcome.message});
  }
  end_turn();
}

}  // namespace parley::peer::web
