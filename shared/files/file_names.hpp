// File names that travel on the wire or come from users name a file *inside* a folder,
// never a path: checked here before any file system call sees them.
#pragma once

#include <string_view>

namespace parley::files {

inline constexpr std::size_t kMaxFileName = 255;

// True for a plain name: 1-255 bytes, no '/' or '\', not "." or "..", no ".." anywhere
// (no "a..b" tricks either), no control characters, no leading '-' (not an option to
// anyone), no leading '.' (no hidden files), and well-formed UTF-8.
bool is_safe_file_name(std::string_view name);

}  // namespace parley::files
