#pragma once

#include <filesystem>
#include <string>

namespace parley::test {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path`, replacing it.
void write_text(const std::filesystem::path& path, const std::string& content);
// The whole file (empty if it cannot be read).
std::string read_text(const std::filesystem::path& path);

}  // namespace parley::test
