// How common MTAs answer MAIL FROM for an address, as observed (docs: /work/shared/notes/mta-facts.md,
// summarised in docs/diagnosis.md). Data about real software, not a model of it: one row per profile.
#pragma once

#include "address/address.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace relaylab::diag {

struct MtaAnswer {
    std::string reply;  // the reply line the MTA gives, "553 5.1.0 Sender address syntax error"
    bool accepted = false;
    std::string note;   // what else matters (RCPT, relaying behaviour); may be empty
};

struct ProfileAnswer {
    std::string_view profile;  // "Postfix 3.7"
    MtaAnswer raw;             // MAIL FROM:<as written>
    bool has_quoted = false;   // set when the address is valid only quoted
    MtaAnswer quoted;          // MAIL FROM:<"local"@domain>
};

// Every known profile's answer to MAIL FROM with this address (and with its quoted form).
std::vector<ProfileAnswer> mail_from_answers(const gw::AddressCheck& check);

}  // namespace relaylab::diag
