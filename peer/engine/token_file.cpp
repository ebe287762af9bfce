#include "peer/engine/token_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace parley::peer {
namespace {

constexpr const char* kFileName = "resume-tokens";

std::vector<std::pair<std::string, std::string>> read_lines(const std::filesystem::path& file) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string account, token;
    if (fields >> account >> token) lines.emplace_back(std::move(account), std::move(token));
  }
  return lines;
}

void write_private(const std::filesystem::path& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + path.string());
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + path.string());
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

std::string load_resume_token(const std::filesystem::path& data_dir, const std::string& account) {
  for (auto& [name, token] : read_lines(data_dir / kFileName))
    if (name == account) return token;
  return {};
}

void save_resume_token(const std::filesystem::path& data_dir, const std::string& account,
                       const std::string& token) {
  const auto file = data_dir / kFileName;
  std::string text;
  for (auto& [name, old] : read_lines(file))
    if (name != account) text += name + " " + old + "\n";
  if (!token.empty()) text += account + " " + token + "\n";
  std::filesystem::create_directories(data_dir);
  const auto temporary = data_dir / (std::string(kFileName) + ".tmp");
  write_private(temporary, text);
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) throw std::runtime_error("cannot write " + file.string() + ": " + ec.message());
}

}  // namespace parley::peer
