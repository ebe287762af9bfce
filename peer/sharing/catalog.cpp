#include "peer/sharing/catalog.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "shared/files/file_names.hpp"
#include "shared/util/hex.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

std::string raw_of(const std::string& hex) {
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != wire::kDigest) throw std::runtime_error("bad digest");
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace

Catalog::Catalog(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  if (!in) return;
  try {
    auto json = nlohmann::json::parse(in);
    for (const auto& e : json.at("files")) {
      SharedFile f;
      f.meta.name = e.at("name").get<std::string>();
      if (!files::is_safe_file_name(f.meta.name)) continue;
      f.meta.size = e.at("size").get<std::uint64_t>();
      f.meta.chunk_count = e.at("chunks").get<std::uint32_t>();
      f.meta.file_hash = raw_of(e.at("sha256").get<std::string>());
      for (const auto& h : e.at("chunk_sha256")) f.meta.chunk_hashes.push_back(raw_of(h.get<std::string>()));
      f.path = e.at("path").get<std::string>();
      f.partial = e.at("partial").get<bool>();
      f.mtime_ns = e.at("mtime_ns").get<std::int64_t>();
      if (f.meta.chunk_hashes.size() != f.meta.chunk_count) continue;
      files_[f.meta.name] = std::move(f);
    }
  } catch (const std::exception& e) {
    spdlog::warn("ignoring unreadable catalog {}: {}", file_.string(), e.what());
    files_.clear();
  }
}

const SharedFile* Catalog::find(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

SharedFile* Catalog::find(const std::string& name) {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

std::vector<std::string> Catalog::names() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : files_) out.push_back(name);
  return out;
}

void Catalog::put(SharedFile file) {
  std::string name = file.meta.name;
  files_[name] = std::move(file);
  save();
}

void Catalog::erase(const std::string& name) {
  if (files_.erase(name)) save();
}

std::optional<std::int64_t> Catalog::mtime_ns(const std::filesystem::path& path) {
  std::error_code ec;
  auto t = std::filesystem::last_write_time(path, ec);
  if (ec) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void Catalog::save() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, f] : files_) {
    nlohmann::json hashes = nlohmann::json::array();
    for (const auto& h : f.meta.chunk_hashes) hashes.push_back(to_hex(h));
    list.push_back({{"name", name},
                    {"size", f.meta.size},
                    {"chunks", f.meta.chunk_count},
                    {"sha256", to_hex(f.meta.file_hash)},
                    {"chunk_sha256", std::move(hashes)},
                    {"path", f.path.string()},
                    {"partial", f.partial},
                    {"mtime_ns", f.mtime_ns}});
  }
  // Written beside and renamed over, so a crash leaves the old catalog or the new one.
  auto temp = file_;
  temp += ".new";
  {
    std::ofstream out(temp, std::ios::trunc);
    // Names are checked UTF-8, but a catalog that cannot be written must never stop the peer.
    out << nlohmann::json{{"files", std::move(list)}}.dump(-1, ' ', false,
                                                           nlohmann::json::error_handler_t::replace)
        << '\n';
    if (!out) {
      spdlog::warn("cannot write {}", temp.string());
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, file_, ec);
  if (ec) spdlog::warn("cannot replace {}: {}", file_.string(), ec.message());
}

}  // namespace parley::peer
