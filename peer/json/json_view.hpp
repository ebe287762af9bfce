// The --json front end's rendering: each engine event as the JSON objects a script
// reads, one per output line (types and fields in the README's `--json` table). Pure:
// no clock, no I/O.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "peer/engine/events.hpp"

namespace parley::peer {

// Usually one object; several where one event answers for several things (a message's
// per-recipient results, a login and where it listens); none for an event with no JSON
// form.
std::vector<nlohmann::ordered_json> to_json(const Event& event);

// The line your own sent message adds to a conversation (`mine` tells it from one you
// received), in the given state: queued, delivered, stored, ...
nlohmann::ordered_json own_message_line(const ev::Sent& e, const std::string& state);

// One object as one line (no newline at the end); invalid UTF-8 from other users
// becomes U+FFFD instead of throwing.
std::string json_line(const nlohmann::ordered_json& object);

}  // namespace parley::peer
