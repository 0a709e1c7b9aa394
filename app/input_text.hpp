// What `explain`, `scenario from-log` and `triage` take as an input argument: a file, `-` for stdin,
// or — when no file has that name and the argument reads like one — the text itself (a log line, a
// bare reply "550 5.7.26 …", a status code "5.1.7"). An mbox gives one input per message.
#pragma once

#include "diagnosis/batch.hpp"
#include "address/language.hpp"

#include <string>
#include <vector>

namespace relaylab::app {

struct ArgumentInputs {
    std::vector<diag::BatchInput> inputs;  // one, or one per message of an mbox
    bool as_text = false;                  // no file had that name: the argument is the text
    std::string error;                     // in the language asked for; set: nothing to read
};

ArgumentInputs inputs_of_argument(const std::string& arg, gw::Language lang);

// Whether an argument that names no file reads as text rather than as a mistyped path: it has
// white space, starts with a digit or '{', or holds non-ASCII bytes (Japanese text).
bool reads_as_text(const std::string& arg);

}  // namespace relaylab::app
