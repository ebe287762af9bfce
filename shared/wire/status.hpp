// The outcome every reply of the registry protocol carries.
#pragma once

#include <cstdint>

namespace parley::wire {

// Outcome of a request, or of one recipient of a message.
enum class Status : std::uint8_t {
  ok = 0,
  bad_request,   // malformed or out-of-limits fields
  unknown_user,  // no such account
  yourself,      // the command cannot target its sender
  empty_text,
  blocked,  // the recipient has blocked the sender
  already_blocked,
  not_blocked,
  not_logged_in,      // a command before a successful login
  already_logged_in,  // this account is logged in elsewhere
  wrong_password,
  locked,  // too many failed logins: try again later
  version_mismatch,
  stored_offline,  // stored durably, not yet acknowledged by the recipient's peer (a success)
  internal,        // the server failed (storage); nothing was done
  already_online,  // this connection has already logged in
  offline,         // the user is not logged in (for requests that need them online)
  unavailable,     // the user cannot take a direct link now (no answer, refused, no listener)
  unknown_file,    // no file of that name is registered
  already_registered,
  token_refused,  // a resumption token that is unknown, expired, revoked or not this user's
  rate_limited,   // over a fair-use limit: retry later
};

const char* to_string(Status status);

}  // namespace parley::wire
