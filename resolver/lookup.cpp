#include "resolver/lookup.hpp"

#include "asio/awaitable.hpp"
#include "resolver/name.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace relaylab::dns {

namespace {
struct Pending {
    std::size_t index;  // into the caller's questions
    std::string name;   // what to ask now (the last CNAME target)
    unsigned hops;      // CNAMEs walked so far
};
}  // namespace

boost::asio::awaitable<std::vector<Lookup>> look_up(std::shared_ptr<AresChannel> channel,
                                                    std::vector<Question> questions, TimePoint deadline) {
    std::vector<Lookup> out(questions.size());
    std::vector<Pending> pending;
    for (std::size_t i = 0; i < questions.size(); ++i) {
        out[i].canonical = questions[i].name;
        if (is_queryable_name(questions[i].name))
            pending.push_back({i, questions[i].name, 0});
        else
            out[i].status = Status::BadName;
    }
    // Each round either ends a question or walks at least one CNAME, so there are at most
    // kMaxCnameHops + 1 rounds.
    while (!pending.empty()) {
        if (channel->clock().now() >= deadline) {
            for (const auto& p : pending) out[p.index].status = Status::Timeout;
            break;
        }
        std::vector<Question> ask;
        for (const auto& p : pending) ask.push_back({p.name, questions[p.index].type});
        auto answers = co_await channel->async_ask(std::move(ask), deadline, boost::asio::use_awaitable);
        std::vector<Pending> next;
        for (std::size_t k = 0; k < pending.size(); ++k) {
            const auto& p = pending[k];
            const RecordType type = questions[p.index].type;
            auto in = interpret_answer(answers[k].ares_status, answers[k].message, p.name, type,
                                       kMaxCnameHops - p.hops);
            Lookup& l = out[p.index];
            l.canonical = in.canonical;
            if (in.follow) {
                if (!is_queryable_name(*in.follow)) {
                    l.status = Status::BadAnswer;
                    continue;
                }
                next.push_back({p.index, *in.follow, p.hops + in.cname_hops});
                continue;
            }
            l.status = in.status;
            l.records = std::move(in.records);
        }
        pending = std::move(next);
    }
    co_return out;
}

}  // namespace relaylab::dns
