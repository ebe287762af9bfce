#include "peer/download/chunk_picker.hpp"

#include "shared/files/bitfield.hpp"

namespace parley::peer {

ChunkPicker::ChunkPicker(std::uint32_t chunk_count, const std::vector<std::uint32_t>& wanted)
    : chunk_count_(chunk_count) {
  if (wanted.empty()) {
    for (std::uint32_t i = 0; i < chunk_count; ++i) needed_.insert(i);
  } else {
    for (std::uint32_t i : wanted)
      if (i < chunk_count) needed_.insert(i);
  }
}

void ChunkPicker::set_holder(const std::string& user, const std::string& bitfield) {
  holders_[user] = bitfield;
}

void ChunkPicker::remove_holder(const std::string& user) {
  holders_.erase(user);
  std::erase_if(in_flight_, [&](const auto& entry) { return entry.second == user; });
}

void ChunkPicker::mark_have(std::uint32_t chunk) { needed_.erase(chunk); }

void ChunkPicker::set_fallback(const std::string& user, bool fallback) {
  if (fallback)
    fallback_.insert(user);
  else
    fallback_.erase(user);
}

bool ChunkPicker::held_elsewhere(const std::string& user, std::uint32_t chunk) const {
  for (const auto& [other, bits] : holders_)
    if (other != user && !fallback_.contains(other) && holds(other, chunk)) return true;
  return false;
}

bool ChunkPicker::holds(const std::string& user, std::uint32_t chunk) const {
  auto it = holders_.find(user);
  return it != holders_.end() && !banned_.contains(user) && files::has_chunk(it->second, chunk);
}

std::size_t ChunkPicker::availability(std::uint32_t chunk) const {
  std::size_t count = 0;
  for (const auto& [user, bits] : holders_)
    if (!banned_.contains(user) && files::has_chunk(bits, chunk)) ++count;
  return count;
}

std::optional<std::uint32_t> ChunkPicker::pick(const std::string& user) {
  std::optional<std::uint32_t> best;
  std::size_t best_availability = 0;
  for (std::uint32_t chunk : needed_) {  // ascending: ties go to the lowest number
    if (in_flight_.contains(chunk) || !holds(user, chunk)) continue;
    if (fallback_.contains(user) && held_elsewhere(user, chunk)) continue;
    std::size_t a = availability(chunk);
    if (!best || a < best_availability) {
      best = chunk;
      best_availability = a;
    }
  }
  if (best) in_flight_[*best] = user;
  return best;
}

bool ChunkPicker::useful(const std::string& user) const {
  for (std::uint32_t chunk : needed_)
    if (holds(user, chunk)) return true;
  return false;
}

void ChunkPicker::completed(std::uint32_t chunk) {
  in_flight_.erase(chunk);
  needed_.erase(chunk);
}

void ChunkPicker::failed(std::uint32_t chunk, const std::string& user, bool bad_data) {
  if (auto it = in_flight_.find(chunk); it != in_flight_.end() && it->second == user) in_flight_.erase(it);
  if (bad_data) banned_.insert(user);
}

std::vector<std::uint32_t> ChunkPicker::unavailable() const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t chunk : needed_)
    if (availability(chunk) == 0) out.push_back(chunk);
  return out;
}

}  // namespace parley::peer
