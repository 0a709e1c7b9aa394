// The trainer's page in plain words (`relaylab run --html F --lang ja|en`): the page's own labels,
// a cause named in words instead of its internal name ("sender_rejected" → "the receiving server
// refused the sender's address"), and a caption for every step of the sequence diagram.
#pragma once

#include "clock/clock.hpp"
#include "scenarios/sequence_diagram.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace relaylab::scn {

enum class Lang { En, Ja };
std::string_view to_string(Lang l);                 // "en", "ja" (the page's lang attribute)
std::optional<Lang> lang_from_string(std::string_view s);

// The page's fixed labels, by key ("decisive", "truth", ...); an unknown key comes back as itself.
std::string_view ui(Lang l, std::string_view key);

// A failure class or a claim (their snake_case names, docs/taxonomy.md) in words; a name without
// words becomes a generic phrase, never the name itself.
std::string cause_words(Lang l, std::string_view name);

// A zone offset for the times shown ("+09:00", "-05:30", "Z"), in minutes east of UTC.
std::optional<int> parse_zone_offset(std::string_view s);  // nullopt: not ±HH:MM (|offset| ≤ 14:00) or Z
// "2009-06-01 19:00:00 +09:00"; short_time: "19:00" (the phone's status bar).
std::string local_time(TimePoint t, int offset_minutes);
std::string local_clock(TimePoint t, int offset_minutes);

// One step's caption in plain words. `previous_command` is the last command the gateway sent in
// this session ("MAIL FROM:<...>"), so that a refusal says what was refused.
std::string step_caption(Lang l, const SequenceStep& s, std::string_view previous_command);

}  // namespace relaylab::scn
