// Decides which chunk to fetch next from which holder. Pure: no sockets, no disk; the
// downloader tells it what happened, tests describe availability as short strings.
//
// Rarest first (ties: lowest chunk number), so rare chunks get copied before their
// holders leave; never the same chunk from two holders at once; never again from a
// holder that served a chunk whose digest did not match.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace parley::peer {

class ChunkPicker {
 public:
  // `wanted`: 0-based chunk numbers to fetch; empty means the whole file.
  ChunkPicker(std::uint32_t chunk_count, const std::vector<std::uint32_t>& wanted = {});

  // Adds or replaces what `user` holds (bitfield: chunk i is bit i % 8 of byte i / 8).
  void set_holder(const std::string& user, const std::string& bitfield);
  // The holder is gone: whatever it was fetching goes back to the pool.
  void remove_holder(const std::string& user);
  // A fallback source (a relayed one) is asked only for chunks that no other usable
  // holder has: the relay is the slow, shared path.
  void set_fallback(const std::string& user, bool fallback);
  // Already verified on disk (a resumed download): not to be fetched.
  void mark_have(std::uint32_t chunk);

  // The next chunk to ask `user` for, or nullopt if it has nothing we still need that
  // is not already on its way from someone else.
  std::optional<std::uint32_t> pick(const std::string& user);
  void completed(std::uint32_t chunk);
  // The request failed. `bad_data`: the bytes did not match the digest, so `user` is
  // never asked again; otherwise (a dropped link) the chunk may come from anyone.
  void failed(std::uint32_t chunk, const std::string& user, bool bad_data);

  bool done() const { return needed_.empty(); }
  std::size_t remaining() const { return needed_.size(); }
  bool banned(const std::string& user) const { return banned_.contains(user); }
  // Whether `user` holds any chunk still needed (in flight or not) and is not banned.
  bool useful(const std::string& user) const;
  // Needed chunks that no usable holder has: the download cannot finish without them.
  std::vector<std::uint32_t> unavailable() const;

 private:
  bool holds(const std::string& user, std::uint32_t chunk) const;
  std::size_t availability(std::uint32_t chunk) const;
  // Whether a holder other than `user`, and not a fallback, has `chunk`.
  bool held_elsewhere(const std::string& user, std::uint32_t chunk) const;

  std::uint32_t chunk_count_;
  std::set<std::uint32_t> needed_;                  // not yet verified
  std::map<std::uint32_t, std::string> in_flight_;  // chunk -> who is sending it
  std::map<std::string, std::string> holders_;      // user -> bitfield
  std::set<std::string> banned_;
  std::set<std::string> fallback_;
};

}  // namespace parley::peer
