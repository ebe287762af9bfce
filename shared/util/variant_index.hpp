// Where a type sits in a std::variant, at compile time: cereal writes that index as a
// message's type tag, so readers that peek at tags need it as a constant.
#pragma once

#include <cstddef>
#include <type_traits>
#include <variant>

namespace parley {

template <class T, class Variant, std::size_t I = 0>
constexpr std::size_t variant_index() {
  static_assert(I < std::variant_size_v<Variant>, "not an alternative of this variant");
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Variant>, T>)
    return I;
  else
    return variant_index<T, Variant, I + 1>();
}

}  // namespace parley
