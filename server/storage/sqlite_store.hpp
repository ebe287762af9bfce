// SQLite implementation of Store: WAL journal, synchronous=FULL, one connection owned by
// one dedicated thread.
#pragma once

#include <asio/any_io_executor.hpp>
#include <filesystem>
#include <memory>

#include "server/storage/store.hpp"

namespace parley::server {

// Opens (creating if needed) the database at `path` and starts its thread. Completions
// are posted to `completions`. Throws std::runtime_error if the database cannot be opened.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path,
                                         asio::any_io_executor completions);

}  // namespace parley::server
