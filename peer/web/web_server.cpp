#include "peer/web/web_server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "peer/web/assets.hpp"
#include "peer/web/web_commands.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/parse.hpp"

namespace parley::peer::web {
namespace {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::ordered_json;
using Checked = httplib::Server::HandlerResponse;

// Each open event stream holds a thread: room for a few pages and their requests.
constexpr std::size_t kThreads = 16;
constexpr std::size_t kMaxBody = 64 * 1024;
// An idle stream still writes this often, so a page that went away frees its thread.
constexpr auto kHeartbeat = std::chrono::seconds(10);

void send_json(Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void send_reply(Response& res, const ApiReply& reply) { send_json(res, reply.status, reply.body); }

Checked deny(Response& res, int status, std::string_view message, std::string_view command = "web") {
  send_json(res, status,
            {{"ok", false}, {"error", {{"type", "error"}, {"command", command}, {"message", message}}}});
  return Checked::Handled;
}

// The request body as a JSON object (empty: {}), or nullopt after answering 400.
std::optional<nlohmann::json> body_of(const Request& req, Response& res) {
  if (req.body.empty()) return nlohmann::json::object();
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    deny(res, 400, "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

std::string text_field(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]", host) : host;
}

// Server-sent events from the one after `last_event_id` (none given: from now on); a
// stream whose id is no longer in the log starts with a `reset` event.
void serve_events(EventLog& log, const std::string& last_event_id, Response& res) {
  auto cursor = std::make_shared<std::uint64_t>(
      last_event_id.empty() ? log.last_id() : parse_decimal<std::uint64_t>(last_event_id).value_or(~0ULL));
  res.set_chunked_content_provider("text/event-stream", [&log, cursor](std::size_t, httplib::DataSink& sink) {
    auto batch = log.read(*cursor, kHeartbeat);
    if (batch.closed) {
      sink.done();
      return true;
    }
    std::string out;
    if (batch.reset) {
      out = fmt::format("id: {}\nevent: reset\ndata: {{\"type\":\"reset\"}}\n\n", batch.last_id);
      *cursor = batch.last_id;
    }
    for (const auto& entry : batch.entries) {
      out += fmt::format("id: {}\ndata: {}\n\n", entry.id, entry.data);
      *cursor = entry.id;
    }
    if (out.empty()) out = ": still here\n\n";
    return sink.write(out.data(), out.size());
  });
}

}  // namespace

WebServer::WebServer(const PeerConfig& config, WebFront& front, EventLog& log)
    : config_(config), front_(front), log_(log), server_(std::make_unique<httplib::Server>()) {
  const std::string secret = random_id();
  sessions_ = std::make_unique<Sessions>(secret, config.web_password);
  server_->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server_->set_payload_max_length(kMaxBody);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  // An idle kept-alive connection holds its thread until this runs out, and so does a
  // stopping peer: reconnecting on loopback costs nothing.
  server_->set_keep_alive_timeout(1);
  server_->set_default_headers({{"Content-Security-Policy", std::string(kContentSecurityPolicy)},
                                {"X-Frame-Options", "DENY"},
                                {"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"Cache-Control", "no-store"}});
  server_->set_exception_handler([](const Request&, Response& res, std::exception_ptr e) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what = ex.what();
    }
    deny(res, 500, fmt::format("internal error: {}", what));
  });
  add_checks();
  add_routes();
  add_api();
  const auto wanted = parse_decimal<int>(config.web_port).value_or(0);
  const int port = wanted == 0 ? server_->bind_to_any_port(config.web_host)
                               : (server_->bind_to_port(config.web_host, wanted) ? wanted : -1);
  if (port <= 0)
    throw std::runtime_error(
        fmt::format("the web UI cannot listen on {}:{}", url_host(config.web_host), config.web_port));
  port_ = static_cast<std::uint16_t>(port);
  cookie_name_ = fmt::format("parley_{}", port_);  // cookies ignore ports: one name per peer
  url_ = fmt::format("http://{}:{}/?secret={}", url_host(config.web_host), port_, secret);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

WebServer::~WebServer() { stop(); }

void WebServer::stop() {
  front_.stop();
  log_.close();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void WebServer::add_checks() {
  server_->set_pre_routing_handler([this](const Request& req, Response& res) {
    const auto host = req.get_header_value("Host");
    if (!host_allowed(host, config_.web_host, port_)) return deny(res, 403, "not an address of this web UI");
    if (!req.path.starts_with("/api/")) return Checked::Unhandled;
    if (!req.has_header(std::string(kApiHeader).c_str()))
      return deny(res, 403, fmt::format("API calls need the {} header", kApiHeader));
    if (req.method != "GET" && !origin_allowed(req.get_header_value("Origin"), host))
      return deny(res, 403, "a request from another site was refused");
    if (req.path != "/api/auth" &&
        !sessions_->valid(cookie_value(req.get_header_value("Cookie"), cookie_name_)))
      return deny(res, 401, "no session: open the link parley-peer printed");
    return Checked::Unhandled;
  });
}

void WebServer::add_routes() {
  server_->Get("/", [this](const Request& req, Response& res) {
    if (req.has_param("secret")) {
      const auto token = sessions_->redeem_secret(req.get_param_value("secret"));
      if (token.empty()) {
        res.status = 403;
        res.set_content("This link was used already. Restart parley-peer for a new one.\n", "text/plain");
        return;
      }
      res.set_header("Set-Cookie",
                     fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", cookie_name_, token));
      res.set_redirect("/", 303);
      return;
    }
    const auto* page = find_asset("/");
    res.set_content(page->body.data(), page->body.size(), std::string(page->content_type));
  });
  server_->Get(R"(/[a-z]+\.(js|css|svg))", [](const Request& req, Response& res) {
    const auto* asset = find_asset(req.path);
    if (asset == nullptr) {
      res.status = 404;
      return;
    }
    res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
  });
}

void WebServer::add_api() {
  server_->Get("/api/state", [this](const Request&, Response& res) { send_reply(res, front_.state()); });
  server_->Get("/api/events", [this](const Request& req, Response& res) {
    serve_events(log_, req.get_header_value("Last-Event-ID"), res);
  });
  server_->Post("/api/auth", [this](const Request& req, Response& res) {
    auto body = body_of(req, res);
    if (!body) return;
    const auto token = sessions_->redeem_password(text_field(*body, "password"));
    if (token.empty()) {
      deny(res, 401, sessions_->has_password() ? "wrong password" : "this web UI has no password");
      return;
    }
    res.set_header("Set-Cookie",
                   fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", cookie_name_, token));
    send_json(res, 200, {{"ok", true}});
  });
  server_->Post("/api/login", [this](const Request& req, Response& res) {
    auto body = body_of(req, res);
    if (!body) return;
    const auto sign_up = body->find("sign_up");
    LoginForm form{text_field(*body, "user"), text_field(*body, "password"),
                   sign_up != body->end() && sign_up->is_boolean() && sign_up->get<bool>()};
    send_reply(res, front_.login(std::move(form)));
  });
  server_->Post("/api/trust", [this](const Request& req, Response& res) {
    auto body = body_of(req, res);
    if (body) send_reply(res, front_.trust(text_field(*body, "fingerprint")));
  });
  server_->Post(R"(/api/([A-Za-z]+))", [this](const Request& req, Response& res) {
    auto body = body_of(req, res);
    if (!body) return;
    auto parsed = command_from_json(req.matches[1].str(), *body);
    if (!parsed.command) {
      deny(res, parsed.unknown ? 404 : 400, parsed.error, parsed.name);
      return;
    }
    send_reply(res, front_.command(std::move(*parsed.command)));
  });
}

}  // namespace parley::peer::web
