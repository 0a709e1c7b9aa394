// Several questions asked at once, CNAMEs followed to their records by asking again (RFC 1034
// §3.6.2). Sans-I/O: asking() says what to ask in this round, feed() takes the answers. No socket,
// no timer, no clock: the driver decides when an unanswered question has timed out.
#pragma once

#include "resolver/answer.hpp"

#include <span>
#include <string>
#include <vector>

namespace relaylab::dns {

struct Lookup {
    Status status = Status::Error;  // Found when `records` holds the asked type
    std::string canonical;          // the name the records belong to
    std::vector<Record> records;
};

// Every round either ends a question or walks at least one CNAME of it, so a batch asks at most
// this many rounds.
inline constexpr std::size_t kMaxLookupRounds = kMaxCnameHops + 1;

class LookupBatch {
public:
    // A name that cannot be asked ends as BadName without a query.
    explicit LookupBatch(std::vector<Question> questions);

    // The questions of this round, all to be asked at once; empty when the batch is done.
    const std::vector<Question>& asking() const { return asking_; }
    // One answer per question of asking(), in order. A missing answer counts as a resolver error;
    // extra ones are ignored. A CNAME chain longer than kMaxCnameHops, or one that comes back to a
    // name already asked (a loop), ends as BadAnswer.
    void feed(std::span<const RawAnswer> answers);
    bool done() const { return asking_.empty(); }
    std::size_t rounds() const { return rounds_; }

    // One Lookup per question, in the caller's order. Final once done().
    const std::vector<Lookup>& lookups() const { return out_; }

private:
    struct Pending {
        std::size_t index;               // into the caller's questions
        unsigned hops;                   // CNAMEs walked so far
        std::vector<std::string> asked;  // every name asked for this question, for loop detection
    };
    void ask_next();

    std::vector<RecordType> types_;
    std::vector<Lookup> out_;
    std::vector<Pending> pending_;
    std::vector<Question> asking_;
    std::size_t rounds_ = 0;
};

}  // namespace relaylab::dns
