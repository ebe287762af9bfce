#include "shared/files/file_names.hpp"

namespace parley::files {

bool is_safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxFileName) return false;
  if (name.front() == '.' || name.front() == '-') return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (unsigned char c : name) {
    if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace parley::files
