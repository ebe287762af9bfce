// The page's files, embedded at build time (embed_assets.py) so parley-peer stays one file.
#pragma once

#include <string_view>

namespace parley::peer::web {

struct Asset {
  std::string_view path;  // "/app.js"
  std::string_view content_type;
  std::string_view body;
};

// nullptr if there is no such file.
const Asset* find_asset(std::string_view path);

}  // namespace parley::peer::web
