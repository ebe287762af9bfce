// Asio is built once here (ASIO_SEPARATE_COMPILATION) instead of in every translation
// unit that includes it: much faster builds.
#include <asio/impl/src.hpp>
#include <asio/ssl/impl/src.hpp>
