#include "resolver/lookup.hpp"

#include "resolver/name.hpp"

#include <ares.h>

#include <algorithm>

namespace relaylab::dns {

LookupBatch::LookupBatch(std::vector<Question> questions) {
    out_.resize(questions.size());
    for (std::size_t i = 0; i < questions.size(); ++i) {
        types_.push_back(questions[i].type);
        out_[i].canonical = questions[i].name;
        if (is_queryable_name(questions[i].name))
            pending_.push_back({i, 0, {questions[i].name}});
        else
            out_[i].status = Status::BadName;
    }
    ask_next();
}

void LookupBatch::ask_next() {
    asking_.clear();
    for (const auto& p : pending_) asking_.push_back({p.asked.back(), types_[p.index]});
}

void LookupBatch::feed(std::span<const RawAnswer> answers) {
    if (done()) return;
    ++rounds_;
    static const RawAnswer missing{ARES_ECANCELLED, {}};  // the driver gave no answer: Status::Error
    std::vector<Pending> next;
    for (std::size_t k = 0; k < pending_.size(); ++k) {
        auto& p = pending_[k];
        const RawAnswer& answer = k < answers.size() ? answers[k] : missing;
        const RecordType type = types_[p.index];
        auto in = interpret_answer(answer.ares_status, answer.message, p.asked.back(), type, kMaxCnameHops - p.hops);
        Lookup& l = out_[p.index];
        l.canonical = in.canonical;
        if (in.follow) {
            const bool loop = std::find(p.asked.begin(), p.asked.end(), *in.follow) != p.asked.end();
            if (loop || !is_queryable_name(*in.follow)) {
                l.status = Status::BadAnswer;
                continue;
            }
            p.hops += in.cname_hops;
            p.asked.push_back(std::move(*in.follow));
            next.push_back(std::move(p));
            continue;
        }
        l.status = in.status;
        l.records = std::move(in.records);
    }
    pending_ = std::move(next);
    ask_next();
}

}  // namespace relaylab::dns
