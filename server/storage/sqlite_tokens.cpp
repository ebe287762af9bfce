// Tables::apply for session resumption tokens (the resume_tokens table).
#include "server/storage/sqlite_tables.hpp"

namespace parley::server::sqlite {

void Tables::apply(const op::TokenChanges& change) {
  for (const auto& hash : change.remove) Use(db_, remove_token_.get()).bind_blob(1, hash).run();
  for (const auto& t : change.put) {
    Use(db_, put_token_.get())
        .bind_blob(1, t.hash)
        .bind(2, t.user)
        .bind(3, t.issued_ms)
        .bind(4, t.expires_ms)
        .bind(5, t.credential)
        .run();
  }
}

}  // namespace parley::server::sqlite
