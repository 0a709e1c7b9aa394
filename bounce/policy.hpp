// Policies: the data-driven table from the truth (a classified outcome) to the words a handset
// shows. Loaded from JSON (policies/*.json, docs/policies.md); first matching rule wins; a default
// rule is mandatory. Each rule says which cause its words claim, so an audit can compare the words
// with the truth.
#pragma once

#include "address/address.hpp"
#include "taxonomy/classify.hpp"
#include "taxonomy/claim.hpp"
#include "address/language.hpp"
#include "result/result.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::gw {

// Policy files are small; anything bigger is refused before parsing.
inline constexpr std::size_t max_policy_file_octets = 1 << 20;
inline constexpr std::size_t max_policy_rules = 1000;

// What a template can name. Written {recipient}, {sender}, ... in policy files.
enum class Placeholder {
    Recipient, Sender, Domain, RemoteHost, RemoteIp, RemotePort, Reply, ReplyCode, Command, Stage, Status,
    Class, Diagnostic, DnsName, DnsStatus, Attempts, QuotedSender, LocalPartProblemEn, LocalPartProblemJa,
};
std::string_view to_string(Placeholder p);  // "recipient", "local_part_problem_en", ...
std::optional<Placeholder> placeholder_from_string(std::string_view s);

// A text with its placeholders found at load time. "{{" and "}}" are literal braces.
struct Template {
    struct Segment {
        std::string literal;
        std::optional<Placeholder> placeholder;  // set: this segment is a placeholder
    };
    std::vector<Segment> segments;
};

struct LocalizedTemplate {
    Template ja, en;
    const Template& in(Language l) const { return l == Language::Ja ? ja : en; }
};

// Every field set must hold (AND); a list matches any of its values (OR). Empty = any.
struct RuleMatch {
    std::vector<FailureClass> classes;
    std::vector<FailureClass> last_classes;           // for expiries: the last temporary's class
    std::vector<std::optional<smtp::Stage>> stages;   // nullopt = "none": no SMTP stage (DNS, local)
    std::vector<int> codes;                           // reply codes, e.g. 553
    std::vector<int> code_classes;                    // 2, 4, 5 ("2xx", "4xx", "5xx")
    std::vector<std::string> statuses;                // "5.1.7", or a prefix "5.1" / "5"
    std::vector<AddressVerdict> sender_address;       // verdict of check_address(sender)
    std::optional<bool> expired;
    std::optional<bool> permanent;
};

struct PolicyRule {
    std::string id;  // from the file, or "rules[N]" / "default"
    RuleMatch match;
    Claim claims = Claim::Undeliverable;
    LocalizedTemplate subject, body;
};

struct Policy {
    std::string name;
    std::string description;
    std::string source;  // the file it came from
    std::vector<PolicyRule> rules;
    PolicyRule fallback;  // "default" in the file
};

enum class PolicyErrorKind {
    NotFound, Unreadable, TooLarge, BadName, Syntax,
    UnknownKey, MissingKey, WrongType, BadValue, UnknownPlaceholder, BadTemplate,
};
std::string_view to_string(PolicyErrorKind k);

struct PolicyError {
    PolicyErrorKind kind;
    std::string file;
    std::size_t line = 0, column = 0;  // Syntax: where the parser stopped (1-based)
    std::string path;                  // schema errors: the JSON path, e.g. "rules[2].match.stage"
    std::string detail;                // the offending key, value or parser message
    // "policies/x.json:3:14: syntax error: ..." / "policies/x.json: rules[2].match.stage: unknown stage \"mial\"".
    std::string message() const;
};

using PolicyLoad = Result<Policy, PolicyError>;

PolicyLoad parse_policy(std::string_view json_text, std::string source_name);
PolicyLoad load_policy_file(const std::filesystem::path& file);
// A bare name ("accurate", [a-z0-9._-], no leading dot) is read from policy_dir/<name>.json;
// anything with a '/' or ending in ".json" is a path.
PolicyLoad load_policy(std::string_view name_or_path, const std::filesystem::path& policy_dir);

const PolicyRule& select_rule(const Policy& policy, const ClassifiedOutcome& truth);
bool rule_matches(const RuleMatch& m, const ClassifiedOutcome& truth);

struct NoticeWords {
    std::string subject;  // one line: control characters in values become spaces
    std::string body;     // lines separated by "\n"
    Claim claims = Claim::Undeliverable;
    std::string rule_id;
};
NoticeWords render(const Policy& policy, const ClassifiedOutcome& truth, Language lang);
// The value one placeholder takes for this outcome (the words' raw material; for tests and tools).
std::string placeholder_value(Placeholder p, const ClassifiedOutcome& truth);

}  // namespace relaylab::gw
