#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "server/console/commands.hpp"
#include "server/registry/registry.hpp"
#include "shared/term/readline_screen.hpp"

using namespace parley::server;

TEST_CASE("operator console: commands and their errors") {
  CHECK(std::holds_alternative<console::Users>(console::parse("users")));
  CHECK(std::holds_alternative<console::Users>(console::parse("  /users  ")));
  CHECK(std::holds_alternative<console::Shutdown>(console::parse("shutdown")));
  CHECK(std::holds_alternative<console::Help>(console::parse("help")));
  CHECK(std::holds_alternative<console::Empty>(console::parse("   ")));
  auto kick = std::get<console::Kick>(console::parse("kick bob  spamming the room"));
  CHECK(kick.user == "bob");
  CHECK(kick.reason == "spamming the room");
  CHECK(std::get<console::Kick>(console::parse("kick bob")).reason.empty());
  CHECK(std::get<console::Say>(console::parse("say  maintenance at 6pm ")).text == "maintenance at 6pm");
  CHECK(std::get<console::Invalid>(console::parse("kick")).message ==
        "usage: kick <user> [minutes] [reason]");
  auto ban = std::get<console::Kick>(console::parse("kick bob 15 spamming"));
  CHECK(ban.minutes == 15);
  CHECK(ban.reason == "spamming");
  CHECK(std::get<console::Kick>(console::parse("kick bob 5")).reason.empty());
  CHECK(std::get<console::Kick>(console::parse("kick bob 5 ")).minutes == 5);
  CHECK(std::get<console::Kick>(console::parse("kick bob 5min")).minutes == 0);  // a reason, then
  CHECK(std::holds_alternative<console::Invalid>(console::parse("kick bob 99999999 x")));
  CHECK(std::get<console::Invalid>(console::parse("say")).message == "usage: say <text>");
  CHECK(std::get<console::Invalid>(console::parse("shutdown now")).message == "usage: shutdown");
  CHECK(std::get<console::Invalid>(console::parse("reboot")).message ==
        "unknown command 'reboot' (type help)");
  CHECK(std::holds_alternative<console::Invalid>(console::parse("say " + std::string(5000, 'x'))));
  CHECK(console::help_text().find("kick <user> [minutes] [reason]") != std::string::npos);
}

TEST_CASE("sign-up names: rules, reserved names whatever their case, and names taken whatever their case") {
  Registry r({"alice", "Bob"}, RegistrySettings{});
  CHECK(r.sign_up_refusal("carol") == "");
  CHECK(r.sign_up_refusal("dave_2") == "");
  for (const char* reserved : {"admin", "ADMIN", "Server", "root", "SYSTEM", "Operator", "moderator"})
    CHECK_MESSAGE(r.sign_up_refusal(reserved).find("reserved") != std::string::npos, reserved);
  CHECK(r.sign_up_refusal("ALICE") == "'ALICE' is taken");
  CHECK(r.sign_up_refusal("bob") == "'bob' is taken");
  CHECK(r.sign_up_refusal("").find("1 to 32") != std::string::npos);
  CHECK(r.sign_up_refusal("-dash").find("starting with a letter or digit") != std::string::npos);
  CHECK(r.sign_up_refusal("a b").find("1 to 32") != std::string::npos);
  CHECK(r.sign_up_refusal(std::string(33, 'a')).find("1 to 32") != std::string::npos);
  r.add_account("carol");
  CHECK(r.account_exists("carol"));
  CHECK(r.sign_up_refusal("Carol") == "'Carol' is taken");
}

TEST_CASE("operator console: Tab completes every command, and only commands") {
  for (const auto& name : console::command_names()) {
    CAPTURE(name);
    CHECK_FALSE(std::holds_alternative<console::Invalid>(console::parse(name == "kick"  ? "kick bob"
                                                                        : name == "say" ? "say hi"
                                                                                        : name)));
    CHECK(console::help_text().find(name) != std::string::npos);
  }
}

TEST_CASE("readline completion lists: only candidates that extend the word, sorted, once each") {
  auto names = [](char** matches) {
    std::vector<std::string> out;
    if (matches == nullptr) return out;
    for (char** m = matches; *m != nullptr; ++m) {
      out.emplace_back(*m);
      std::free(*m);
    }
    std::free(static_cast<void*>(matches));
    return out;
  };
  // Readline puts the common prefix first, then every match.
  CHECK(names(parley::term::completion_matches("s", {"shutdown", "say", "users", "say"})) ==
        std::vector<std::string>{"s", "say", "shutdown"});
  CHECK(names(parley::term::completion_matches("us", console::command_names())) ==
        std::vector<std::string>{"users"});
  CHECK(names(parley::term::completion_matches("x", console::command_names())).empty());
}
