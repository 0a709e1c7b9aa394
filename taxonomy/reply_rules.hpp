// Reply rules: what a remote's words and codes mean, as data (policies/replies/*.json, compiled in,
// docs/taxonomy.md). A rule matches the stage, the reply code, the enhanced code, words in the text
// and the remote's domain, and names the failure class; the first matching rule wins. Remote-specific
// meanings live here, not in code: a docomo MX answering "550 Unknown user" at end of DATA means its
// reception filter refused the sender.
#pragma once

#include "taxonomy/classify.hpp"

#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::gw {

// Rule files are small; anything bigger is refused before parsing.
inline constexpr std::size_t max_reply_rules_octets = 1 << 20;
inline constexpr std::size_t max_reply_rules = 2000;
// Only this much of a reply's text (or a reporter's words) is searched: bounded work per outcome.
inline constexpr std::size_t max_reply_text_searched = 4096;

// What is known of one refusal: any part may be missing (evidence read back from a bounce).
struct ReplyFacts {
    std::optional<smtp::Stage> stage;     // nullopt: the evidence does not say which command
    int code = 0;                         // the reply code; 0 when there is no reply
    std::optional<DsnStatus> status;      // the remote's enhanced code (or a reported Status:)
    std::string_view text;                // the reply's text, lines joined; or the reporter's words
    std::string_view remote_host;         // "mfsmax.docomo.ne.jp"
    std::string_view recipient_domain;    // "docomo.ne.jp"
};

// "5.7.26" exact; "5.7" / "5" a prefix; "X.2.2" / "X.7" any class.
struct StatusPattern {
    int klass = 0;  // 0: any class
    std::vector<int> parts;  // subject, detail (as many as given)
};

struct ReplyRule {
    std::string id;
    // Every given field must hold (AND); a list holds if any of its values does (OR).
    std::vector<std::optional<smtp::Stage>> stages;  // nullopt = "none": the evidence names no stage
    std::vector<int> codes;
    std::vector<int> code_classes;                   // 4, 5
    std::vector<StatusPattern> statuses;
    std::vector<std::string> text;                   // lower-case substrings
    std::optional<std::regex> regex;                 // ECMAScript, case-insensitive
    std::string regex_source;
    std::vector<std::string> domains;                // the remote host or recipient domain is this or under it
    FailureClass failure = FailureClass::PolicyViolation;
    std::optional<StatusPattern> status;  // when the remote's code is absent or generic; X = the reply's class
    // The rule's status replaces even a specific remote code that contradicts the class (Exchange's
    // 5.4.1 for an unknown recipient, Yahoo's 5.7.2 for a block).
    bool status_overrides = false;
};

struct ReplyRuleSet {
    std::vector<ReplyRule> rules;
    std::vector<std::string> sources;  // the files, in the order their rules were added
};

struct ReplyRuleMatch {
    const ReplyRule* rule = nullptr;
    FailureClass failure = FailureClass::PolicyViolation;
    // The rule's status for the given class (4/5), when it names one.
    std::optional<DsnStatus> status;
    bool status_overrides = false;
};

// The status a rule's verdict reports (docs/taxonomy.md): the remote's code when it is specific —
// not X.0.0, X.1.0, nor (for an address or mailbox class) an "other" X.s.0 of another subject — unless
// the rule overrides it; else the rule's status; else the class's default. The class digit is
// `klass` (the reply code's).
DsnStatus verdict_status(const ReplyRuleMatch& m, std::optional<DsnStatus> remote, int klass);

// Parses one rule file and appends its rules. Throws JsonSourceError ("file:line:col: ...").
void add_reply_rules(ReplyRuleSet& set, std::string_view json_text, const std::string& source_name);
// The shipped rule files (policies/replies/*.json, in name order), parsed once.
const ReplyRuleSet& shipped_reply_rules();

// A reply's words for matching: its lines joined by a space, without the enhanced code that
// continuation lines repeat ("550-5.7.26 … is" / "550 5.7.26 unauthenticated" reads "… is unauthenticated").
std::string reply_words(const smtp::Reply& reply);

std::optional<ReplyRuleMatch> match_reply(const ReplyRuleSet& set, const ReplyFacts& facts);
// With the shipped rules.
std::optional<ReplyRuleMatch> match_reply(const ReplyFacts& facts);

struct ShippedReplyRules {
    std::string_view name;  // "10-remotes"
    std::string_view json;
};
const std::vector<ShippedReplyRules>& shipped_reply_rule_files();

}  // namespace relaylab::gw
