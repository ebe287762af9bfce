// What the integration tests ask of a reply or an event, shared by the test files.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shared/util/hex.hpp"
#include "shared/wire/messages.hpp"
#include "tests/integration/harness.hpp"

namespace parley::test {

// The reply, which must have come and be a T.
template <class T>
T reply_as(const std::optional<wire::Message>& m) {
  REQUIRE(m);
  REQUIRE(std::holds_alternative<T>(*m));
  return std::get<T>(*m);
}

inline wire::SendResult message(TestClient& c, std::vector<std::string> to, const std::string& text) {
  return reply_as<wire::SendResult>(c.call(wire::SendMessage{0, random_id(), std::move(to), text}));
}

inline std::function<bool(const wire::PresenceEvent&)> presence_of(const std::string& user, bool online) {
  return [=](const wire::PresenceEvent& p) { return p.user == user && p.online == online; };
}

inline std::function<bool(const wire::ChatEvent&)> chat_with(const std::string& text) {
  return [=](const wire::ChatEvent& c) { return c.text == text; };
}

}  // namespace parley::test
