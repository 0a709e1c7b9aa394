// What a scripted remote MTA saw, per connection: the evidence scenario expectations check
// ("the remote received MAIL FROM:<\"q.\"@docomo.ne.jp>").
#pragma once

#include "clock/clock.hpp"
#include "smtpserver/policy.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::world {

// Bounds on what is kept per connection, so a long-running MTA cannot grow without limit.
inline constexpr std::size_t max_dialogue_lines = 10'000;
inline constexpr std::size_t max_dialogue_line_bytes = 2048;
inline constexpr std::size_t max_recorded_connections = 10'000;

struct DialogueLine {
    TimePoint at;
    char dir = '*';  // 'C' client to server, 'S' server to client, '*' event (connect, close)
    std::string text;
};

// One MAIL FROM and what followed it until the end of DATA, RSET, or the end of the connection.
struct ReceivedTransaction {
    std::string mail_from;              // raw path as sent, without < >
    std::vector<std::string> rcpt_to;   // every RCPT TO raw path, accepted or not
    std::optional<std::string> message; // the unstuffed DATA text (first record_message_bytes)
    std::size_t message_bytes = 0;      // full size, also when not all of it was kept
    bool message_truncated = false;
};

struct ReceivedConnection {
    std::size_t attempt = 0;  // 0-based connection index at this MTA
    std::string peer_ip;
    unsigned short peer_port = 0;
    TimePoint connected_at{};
    std::string helo;  // the last HELO/EHLO name, raw
    std::vector<ReceivedTransaction> transactions;
    std::vector<DialogueLine> dialogue;
    std::optional<smtp::CloseReason> closed;  // absent while the connection is open
};

}  // namespace relaylab::world
