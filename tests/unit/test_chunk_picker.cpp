#include <doctest/doctest.h>

#include "peer/download/chunk_picker.hpp"

using parley::peer::ChunkPicker;

namespace {
// "1011" -> a bitfield holding chunks 0, 2 and 3.
std::string bits(const std::string& held) {
  std::string out((held.size() + 7) / 8, '\0');
  for (std::size_t i = 0; i < held.size(); ++i)
    if (held[i] == '1') out[i / 8] = static_cast<char>(out[i / 8] | (1 << (i % 8)));
  return out;
}
}  // namespace

TEST_CASE("picker: rarest first, ties to the lowest number, one source per chunk") {
  ChunkPicker picker(4);
  picker.set_holder("a", bits("1111"));
  picker.set_holder("b", bits("0011"));
  picker.set_holder("c", bits("0001"));
  // Availability: chunk0 1, chunk1 1, chunk2 2, chunk3 3.
  CHECK(picker.pick("b") == 2u);  // b's rarest
  CHECK(picker.pick("a") == 0u);  // a's rarest (0 and 1 tie: the lowest)
  CHECK(picker.pick("a") == 1u);
  CHECK(picker.pick("c") == 3u);
  CHECK(picker.pick("a") == std::nullopt);  // everything is on its way
  picker.completed(0);
  picker.completed(1);
  picker.completed(2);
  CHECK_FALSE(picker.done());
  picker.completed(3);
  CHECK(picker.done());
}

TEST_CASE("picker: only the chunks asked for, minus those already on disk") {
  ChunkPicker picker(6, {1, 4, 5, 9});  // 9 does not exist and is ignored
  picker.mark_have(5);
  picker.set_holder("a", bits("111111"));
  CHECK(picker.remaining() == 2);
  CHECK(picker.pick("a") == 1u);
  CHECK(picker.pick("a") == 4u);
  CHECK(picker.pick("a") == std::nullopt);
}

TEST_CASE("picker: a holder that served bad data is never asked again") {
  ChunkPicker picker(2);
  picker.set_holder("liar", bits("11"));
  picker.set_holder("honest", bits("01"));
  CHECK(picker.pick("liar") == 0u);
  picker.failed(0, "liar", true);
  CHECK(picker.banned("liar"));
  CHECK(picker.pick("liar") == std::nullopt);
  CHECK(picker.unavailable() == std::vector<std::uint32_t>{0});  // only the liar has chunk 0
  CHECK(picker.pick("honest") == 1u);
}

TEST_CASE("picker: a holder that vanishes gives its chunks back to the pool") {
  ChunkPicker picker(3);
  picker.set_holder("a", bits("111"));
  picker.set_holder("b", bits("111"));
  CHECK(picker.pick("a") == 0u);
  CHECK(picker.pick("a") == 1u);
  picker.remove_holder("a");
  CHECK(picker.pick("b") == 0u);
  CHECK(picker.pick("b") == 1u);
  CHECK(picker.pick("b") == 2u);
  picker.failed(2, "b", false);  // a dropped link is not a lie
  CHECK_FALSE(picker.banned("b"));
  CHECK(picker.pick("b") == 2u);
}

TEST_CASE("picker: chunks nobody has are named") {
  ChunkPicker picker(4);
  picker.set_holder("a", bits("1010"));
  CHECK(picker.unavailable() == std::vector<std::uint32_t>{1, 3});
}

TEST_CASE("picker: a holder is useful while it has a chunk still needed") {
  ChunkPicker picker(4);
  picker.set_holder("a", bits("1100"));
  picker.set_holder("b", bits("0011"));
  CHECK(picker.useful("a"));
  CHECK(picker.pick("a") == 0u);
  picker.completed(0);
  CHECK(picker.useful("a"));  // chunk 1 is still needed
  picker.mark_have(1);
  CHECK_FALSE(picker.useful("a"));
  CHECK(picker.useful("b"));
  picker.failed(2, "b", true);  // b sent bad data: never useful again
  CHECK_FALSE(picker.useful("b"));
  CHECK_FALSE(picker.useful("nobody"));
}

#include "peer/download/request_budget.hpp"

TEST_CASE("request budget: downloads share each holder's window, and are told when it frees up") {
  parley::peer::RequestBudget budget(2);
  int freed = 0;
  budget.on_freed = [&] { ++freed; };
  CHECK(budget.take("a"));
  CHECK(budget.take("a"));
  CHECK_FALSE(budget.take("a"));  // a second download gets nothing more from a
  CHECK(budget.take("b"));        // other holders have their own window
  budget.give("a");
  CHECK(freed == 1);
  CHECK(budget.available("a"));
  budget.give("a", 5);  // more than taken: clamped
  CHECK(budget.used("a") == 0);
  budget.give("nobody");
  CHECK(freed == 2);
}

TEST_CASE("picker: a relayed source gets only the chunks no direct source has") {
  ChunkPicker picker(4);
  picker.set_holder("direct", bits("1100"));
  picker.set_holder("relayed", bits("1111"));
  picker.set_fallback("relayed", true);
  CHECK(picker.pick("relayed") == 2u);  // 0 and 1 are the direct source's
  CHECK(picker.pick("relayed") == 3u);
  CHECK(picker.pick("relayed") == std::nullopt);
  CHECK(picker.pick("direct") == 0u);
  // The direct source is gone: its chunks may come through the relay after all.
  picker.remove_holder("direct");
  CHECK(picker.pick("relayed") == 0u);
}
