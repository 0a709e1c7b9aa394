#include "scenarios/world/smtp_policy.hpp"

#include <utility>

namespace relaylab::world {

ScriptedPolicy::ScriptedPolicy(const MtaScript& script, std::size_t attempt, const Clock& clock,
                               RecordUpdate record, LineObserver on_line, std::optional<TimePoint> start)
    : script_(script), attempt_(attempt), clock_(clock), record_(std::move(record)), on_line_(std::move(on_line)),
      start_(start.value_or(clock.now())) {}

smtp::Decision ScriptedPolicy::stage(MtaStage s) const {
    auto step = script_.step(s, attempt_, elapsed());
    return step ? step->decision() : smtp::Decision{};
}

void ScriptedPolicy::line(char dir, std::string_view text) {
    DialogueLine l{clock_.now(), dir, std::string(text.substr(0, max_dialogue_line_bytes))};
    if (on_line_) on_line_(l);
    record_([&](ReceivedConnection& c) {
        if (c.dialogue.size() < max_dialogue_lines) c.dialogue.push_back(std::move(l));
    });
}

ScriptedPolicy::~ScriptedPolicy() {
    if (closed_) closed_();
}

// Without a scripted greeting the session's default banner names the scripted host.
smtp::Decision ScriptedPolicy::on_connect() {
    if (over_limit_) {
        smtp::Decision d = script_.over_max_connections.decision();
        if (!d.reply && d.action == smtp::DecisionAction::Reply)
            d.reply = smtp::ServerReply::single(421, "4.7.0 " + script_.hostname + " Error: too many connections");
        return d;
    }
    return stage(MtaStage::Greeting);
}

smtp::Decision ScriptedPolicy::on_helo(std::string_view name) {
    record_([&](ReceivedConnection& c) { c.helo = std::string(name); });
    return stage(MtaStage::Helo);
}

smtp::Decision ScriptedPolicy::on_ehlo(std::string_view name) {
    record_([&](ReceivedConnection& c) { c.helo = std::string(name); });
    return stage(MtaStage::Ehlo);
}

smtp::Decision ScriptedPolicy::on_mail(const smtp::ClientCommand& cmd) {
    record_([&](ReceivedConnection& c) {
        if (c.transactions.size() < max_dialogue_lines) c.transactions.push_back({cmd.path, {}, {}, 0, false});
    });
    auto step = script_.mail_step(cmd.path, attempt_, elapsed());
    return step ? step->decision() : smtp::Decision{};
}

smtp::Decision ScriptedPolicy::on_rcpt(const smtp::ClientCommand& cmd) {
    record_([&](ReceivedConnection& c) {
        if (!c.transactions.empty() && c.transactions.back().rcpt_to.size() < max_dialogue_lines)
            c.transactions.back().rcpt_to.push_back(cmd.path);
    });
    auto step = script_.rcpt_step(cmd.path, attempt_, elapsed());
    return step ? step->decision() : smtp::Decision{};
}

smtp::Decision ScriptedPolicy::on_data_start() { return stage(MtaStage::Data); }

std::optional<smtp::DataCut> ScriptedPolicy::on_data_body() {
    auto step = script_.step(MtaStage::DataBody, attempt_, elapsed());
    if (!step) return std::nullopt;
    return smtp::DataCut{step->after_bytes, step->decision()};
}

smtp::Decision ScriptedPolicy::on_message(const smtp::Envelope&, std::string_view) { return stage(MtaStage::Dot); }
smtp::Decision ScriptedPolicy::on_rset() { return stage(MtaStage::Rset); }
smtp::Decision ScriptedPolicy::on_noop() { return stage(MtaStage::Noop); }
smtp::Decision ScriptedPolicy::on_quit() { return stage(MtaStage::Quit); }
smtp::Decision ScriptedPolicy::on_starttls() { return stage(MtaStage::StartTls); }

void ScriptedPolicy::on_tls(bool ok, const tls::Negotiated& negotiated) {
    line('*', ok ? "TLS connection established: " + tls::describe(negotiated) : std::string("TLS handshake failed"));
}

void ScriptedPolicy::on_command_line(std::string_view text) { line('C', text); }

void ScriptedPolicy::on_reply(const smtp::ServerReply& reply) {
    for (const auto& l : reply.lines) line('S', l);
}

void ScriptedPolicy::on_message_received(const smtp::Envelope&, std::string_view body, bool oversized) {
    line('C', "<message: " + std::to_string(body.size()) + " bytes" + (oversized ? ", over the size limit>" : ">"));
    record_([&](ReceivedConnection& c) {
        if (c.transactions.empty()) return;
        auto& t = c.transactions.back();
        std::size_t keep = std::min(body.size(), script_.record_message_bytes);
        t.message = std::string(body.substr(0, keep));
        t.message_bytes = body.size();
        t.message_truncated = keep < body.size() || oversized;
    });
}

void ScriptedPolicy::on_closed(smtp::CloseReason why) {
    if (auto closed = std::exchange(closed_, {})) closed();
    line('*', "close: " + std::string(smtp::to_string(why)));
    record_([&](ReceivedConnection& c) { c.closed = why; });
}

}  // namespace relaylab::world
