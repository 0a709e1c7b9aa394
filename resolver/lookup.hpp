// Asking several questions at once and following CNAMEs to their records (RFC 1034 §3.6.2), all
// under one deadline on the caller's Clock.
#pragma once

#include "asio/awaitable.hpp"
#include "resolver/ares_channel.hpp"


#include <memory>
#include <vector>

namespace relaylab::dns {

struct Lookup {
    Status status = Status::Error;  // Found when `records` holds the asked type
    std::string canonical;          // the name the records belong to
    std::vector<Record> records;
};

// One Lookup per question, in order. A name that cannot be asked is BadName without a query; a
// CNAME chain longer than kMaxCnameHops (or a loop) is BadAnswer; anything unanswered at `deadline`
// is Timeout.
boost::asio::awaitable<std::vector<Lookup>> look_up(std::shared_ptr<AresChannel> channel,
                                                    std::vector<Question> questions, TimePoint deadline);

}  // namespace relaylab::dns
