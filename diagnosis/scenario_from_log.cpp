#include "diagnosis/scenario_from_log.hpp"

#include "gateway/address.hpp"
#include "gateway/classify.hpp"

namespace relaylab::diag {

namespace {

using nlohmann::json;
using smtp::Stage;

std::string domain_of(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? std::string("isp.example") : address.substr(at + 1);
}

// The remote's script: the reply (or the network failure) at the stage the finding names.
json remote_script(const Finding& f, Stage stage) {
    json step;
    if (f.reply) step["reply"] = f.reply->one_line();
    else if (f.net == smtp::NetError::Timeout) step["action"] = "silent";
    else step["action"] = "drop";
    switch (stage) {
    case Stage::Greeting: return {{"greeting", step}};
    case Stage::Ehlo:
    case Stage::Helo: return {{"ehlo", step}, {"helo", step}};
    case Stage::Mail: {
        // A sender the remote refuses for its local part: "malformed_sender", so that the quoted
        // form (local_part "quote") can be tried against the same remote.
        const auto check = gw::check_address(f.sender);
        if (check.verdict == gw::AddressVerdict::QuotedOnly && !check.was_quoted) return {{"malformed_sender", step}};
        return {{"mail", step}};
    }
    case Stage::Rcpt: return {{"recipients", {{f.recipient, step}}}};
    case Stage::Data: return {{"data", step}};
    case Stage::Dot:
        if (!f.reply) return {{"data_body", {{"action", step["action"]}, {"after_bytes", 10}}}};
        return {{"dot", step}};
    default: return json::object();
    }
}

}  // namespace

std::optional<json> scenario_from_finding(const Finding& in) {
    Finding f = in;
    if (f.recipient.empty()) return std::nullopt;
    if (f.sender.empty()) f.sender = "alice@docomo.ne.jp";
    const auto outcome = to_outcome(f);
    if (!outcome) return std::nullopt;
    const auto first = gw::classify(*outcome);
    const bool temporary = !first.permanent || first.expired;
    // A temporary failure repeats until the lifetime ends: the scenario expects that expiry.
    const auto c = temporary && !first.expired ? gw::classify(gw::DeliveryOutcome::expired(*outcome, TimePoint{})) : first;
    const auto domain = domain_of(f.recipient);
    std::string mx = f.remote_host.empty() || f.remote_host.find('[') != std::string::npos ? "mx1." + domain : f.remote_host;

    json names = json::object();
    json remotes = json::object();
    if (f.dns_status) {
        switch (*f.dns_status) {
        case dns::Status::NxDomain:
            if (f.mx_host_lookup) names[domain] = {{"mx", {{{"preference", 10}, {"host", "mx.missing." + domain}}}}};
            break;  // an unlisted name is NXDOMAIN
        case dns::Status::NoData: names[domain] = {{"behaviour", "nodata"}}; break;
        case dns::Status::NullMx: names[domain] = {{"mx", {{{"preference", 0}, {"host", "."}}}}}; break;
        case dns::Status::Refused: names[domain] = {{"behaviour", "refused"}}; break;
        case dns::Status::Timeout: names[domain] = {{"behaviour", "drop"}}; break;
        default: names[domain] = {{"behaviour", "servfail"}}; break;
        }
    } else {
        names[domain] = {{"mx", {{{"preference", 10}, {"host", mx}}}}};
        if (f.stage == Stage::Connect) {
            names[mx] = {{"a", {"127.0.0.21"}}};  // nothing listens there: connection refused
        } else {
            remotes[mx] = {{"script", remote_script(f, *f.stage)}};
        }
    }

    json gateway{{"policy", "accurate"}};
    if (temporary) gateway["retry"] = {{"min_backoff", "5m"}, {"max_backoff", "20m"}, {"lifetime", "1h"}};

    json expect_rcpt{{"name", "the recipient ends as the source reported"}, {"recipient", f.recipient},
                     {"status", temporary ? "expired" : "bounced"}, {"dsn", c.status.str()}};
    expect_rcpt["class"] = gw::to_string(c.failure);
    if (c.stage) expect_rcpt["stage"] = gw::stage_name(*c.stage);
    if (c.reply) expect_rcpt["reply"] = gw::reply_one_line(*c.reply);

    json s;
    s["name"] = "from-log-" + std::string(gw::to_string(c.expired && c.last_temporary ? *c.last_temporary : c.failure));
    s["description"] = "Reproduces a " + std::string(to_string(f.source)) + " report for " + f.recipient +
                       (c.reply ? ": " + gw::reply_one_line(*c.reply) : std::string()) +
                       (c.stage ? " at " + std::string(gw::command_words(*c.stage)) : std::string()) + ".";
    s["world"] = {{"dns", {{"names", names}}}, {"remotes", remotes}};
    s["gateway"] = gateway;
    s["submissions"] = json::array({{{"at", "0s"}, {"from", f.sender}, {"to", {f.recipient}}}});
    s["expect"] = json::array({expect_rcpt, {{"nothing_lost", true}}});
    return s;
}

}  // namespace relaylab::diag
