#include "diagnosis/formats/ses_json.hpp"

#include "diagnosis/formats/human_text.hpp"
#include "diagnosis/mime_dsn.hpp"
#include "diagnosis/text.hpp"

#include <nlohmann/json.hpp>

namespace relaylab::diag::formats {

namespace {

using nlohmann::json;

std::string str(const json& o, const char* key) {
    return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
}

// The notification object: the JSON line holding "notificationType" (or "eventType"), possibly the
// "Message" string of an SNS envelope.
json notification_in(std::string_view text) {
    for (const std::string_view key : {"\"notificationType\"", "\"eventType\"", "\"Message\""}) {
        const auto k = text.find(key);
        if (k == std::string_view::npos) continue;
        const auto open = text.rfind('{', k);
        if (open == std::string_view::npos) continue;
        auto end = text.find('\n', k);
        auto j = json::parse(text.substr(open, end == std::string_view::npos ? text.size() - open : end - open), nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        if (j.contains("Message") && j["Message"].is_string()) {
            auto inner = json::parse(j["Message"].get<std::string>(), nullptr, false);
            if (!inner.is_discarded() && inner.is_object()) return inner;
        }
        if (j.contains("notificationType") || j.contains("eventType")) return j;
    }
    return {};
}

}  // namespace

std::vector<Finding> read_ses_notification(std::string_view text) {
    std::vector<Finding> out;
    const auto n = notification_in(text.substr(0, max_input_octets));
    if (!n.is_object()) return out;
    auto type = str(n, "notificationType");
    if (type.empty()) type = str(n, "eventType");
    const auto& mail = n.contains("mail") ? n["mail"] : json();
    auto base = [&](const json& event) {
        Finding f;
        f.source = SourceKind::Dsn;
        f.reporter = "amazonses";
        f.sender = str(mail, "source");
        f.remote_ip = str(event, "remoteMtaIp");
        f.found.push_back("an Amazon SES " + type + " notification");
        return f;
    };
    if (type == "Bounce" && n.contains("bounce") && n["bounce"].is_object()) {
        const auto& b = n["bounce"];
        if (!b.contains("bouncedRecipients") || !b["bouncedRecipients"].is_array()) return out;
        for (const auto& r : b["bouncedRecipients"]) {
            if (out.size() >= max_text_recipients) break;
            auto f = base(b);
            f.recipient = str(r, "emailAddress");
            f.action = lower(str(r, "action"));
            f.reported_status = str(r, "status");
            f.found.push_back("bounceType " + str(b, "bounceType") + "/" + str(b, "bounceSubType"));
            const auto code = str(r, "diagnosticCode");
            const auto type_of = value_type(code);
            if (type_of == "smtp") f.reply = parse_reply_text(typed_value(code));
            if (!f.reply && !code.empty()) read_words(code, f);
            if (f.reply) read_words(typed_value(code), f);
            if (code.empty()) f.diagnostic_text = "Amazon SES bounce: " + str(b, "bounceType") + " " + str(b, "bounceSubType");
            if (f.action == "delayed") f.report = ReportKind::Delayed;
            out.push_back(std::move(f));
        }
    } else if (type == "Complaint" && n.contains("complaint") && n["complaint"].is_object()) {
        const auto& c = n["complaint"];
        if (!c.contains("complainedRecipients") || !c["complainedRecipients"].is_array()) return out;
        for (const auto& r : c["complainedRecipients"]) {
            if (out.size() >= max_text_recipients) break;
            auto f = base(c);
            f.recipient = str(r, "emailAddress");
            f.report = ReportKind::Feedback;
            const auto feedback = str(c, "complaintFeedbackType");
            f.diagnostic_text = "Feedback-Type: " + (feedback.empty() ? std::string("abuse") : feedback);
            out.push_back(std::move(f));
        }
    } else if (type == "Delivery" && n.contains("delivery") && n["delivery"].is_object()) {
        const auto& d = n["delivery"];
        if (!d.contains("recipients") || !d["recipients"].is_array()) return out;
        for (const auto& r : d["recipients"]) {
            if (out.size() >= max_text_recipients || !r.is_string()) break;
            auto f = base(d);
            f.recipient = r.get<std::string>();
            f.report = ReportKind::Delivered;
            f.action = "delivered";
            f.reply = parse_reply_text(str(d, "smtpResponse"));
            if (f.reply) {
                f.stage = smtp::Stage::Done;
                if (f.reply->enhanced) f.reported_status = f.reply->enhanced->str();
            }
            out.push_back(std::move(f));
        }
    }
    return out;
}

}  // namespace relaylab::diag::formats
