// The store's tables, created and upgraded in numbered steps (PRAGMA user_version).
#pragma once

#include <sqlite3.h>

namespace parley::server::sqlite {

// Brings the database's schema up to this server's version, in one transaction.
// Throws if the database was made by a newer server.
void migrate(sqlite3* db);

}  // namespace parley::server::sqlite
