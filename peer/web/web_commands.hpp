// A page's POST /api/<command> body as a shell command: the fields become the words of
// the line the shell would have read, and the shell's own parser checks them, so the
// page gets the same commands, checks and error messages as the terminal. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "peer/commands.hpp"

namespace parley::peer::web {

struct WebCommand {
  std::optional<Command> command;
  bool unknown = false;  // no such command (404 rather than 400)
  std::string name;      // canonical, for errors
  std::string error;     // why there is no command
};

// `name` is the command's canonical name in any case ("searchfile"); `body` a JSON object.
WebCommand command_from_json(std::string_view name, const nlohmann::json& body);

}  // namespace parley::peer::web
