#pragma once

namespace parley {

// Builds one visitor for std::visit out of several lambdas.
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

}  // namespace parley
