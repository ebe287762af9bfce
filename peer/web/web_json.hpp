// The page's vocabulary: the --json mode's objects (peer/json/json_view), plus what a
// chat window needs that a script reads elsewhere: your own messages as lines of the
// conversation, with their text, id and receipt state. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "peer/engine/events.hpp"

namespace parley::peer::web {

std::vector<nlohmann::ordered_json> web_json(const Event& event);

// One state for a message sent to several people: theirs if they agree, else "mixed".
std::string sent_state(const std::vector<wire::RecipientResult>& results);

}  // namespace parley::peer::web
