// libFuzzer target: the address parser (RFC 5321 §4.1.2, RFC 5322 §3.4.1) and everything the
// gateway derives from an address a handset chose: the envelope form in each local-part mode, the
// words that explain it, and the Maildir directory name that must never leave <mailboxes>.
#include "fuzz/fuzz_check.hpp"
#include "address/address.hpp"
#include "bounce/maildir.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace relaylab::gw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    AddressCheck check = check_address(input);
    FUZZ_CHECK(check.input == input);
    if (check.verdict == AddressVerdict::QuotedOnly) {
        // The quoted form is itself a valid address that means the same mailbox.
        AddressCheck again = check_address(check.quoted_form);
        FUZZ_CHECK(again.verdict != AddressVerdict::Invalid);
        FUZZ_CHECK(again.local_value == check.local_value);
    }
    for (auto mode : {LocalPartMode::Pass, LocalPartMode::Quote, LocalPartMode::Reject})
        for (auto role : {AddressRole::Sender, AddressRole::Recipient}) {
            EnvelopeDecision d = envelope_form(check, mode, role);
            FUZZ_CHECK(d.send_as.has_value() != d.refusal.has_value());
            if (d.refusal) (void)d.refusal->reply_line();
        }
    for (auto lang : {Language::Ja, Language::En}) (void)explain(check, lang);
    (void)quote_local_part(input);

    // RFC 6531 §3.3's grammar (SMTPUTF8): it only ever widens the ASCII grammar, never narrows it.
    AddressCheck utf8 = check_address(input, AddressSyntax::Smtputf8);
    FUZZ_CHECK(utf8.input == input);
    FUZZ_CHECK(utf8.needs_smtputf8() == check.needs_smtputf8());
    if (check.verdict == AddressVerdict::DotAtom) FUZZ_CHECK(utf8.verdict == AddressVerdict::DotAtom);
    if (check.verdict == AddressVerdict::QuotedOnly) FUZZ_CHECK(utf8.verdict != AddressVerdict::Invalid);
    if (utf8.verdict == AddressVerdict::QuotedOnly) {
        AddressCheck again = check_address(utf8.quoted_form, AddressSyntax::Smtputf8);
        FUZZ_CHECK(again.verdict != AddressVerdict::Invalid);
        FUZZ_CHECK(again.local_value == utf8.local_value);
    }
    for (auto mode : {LocalPartMode::Pass, LocalPartMode::Quote, LocalPartMode::Reject}) {
        EnvelopeDecision d = envelope_form(utf8, mode, AddressRole::Sender);
        FUZZ_CHECK(d.send_as.has_value() != d.refusal.has_value());
    }
    for (auto lang : {Language::Ja, Language::En}) (void)explain(utf8, lang);
    for (std::size_t i = 0; i < input.size(); ++i) FUZZ_CHECK(utf8_non_ascii_length(input, i) <= 4);

    std::string dir = mailbox_directory_name(input);
    FUZZ_CHECK(!dir.empty() && dir.size() <= kMaxMailboxNameOctets);
    FUZZ_CHECK(dir != "." && dir != ".." && dir.front() != '.');
    FUZZ_CHECK(dir.find('/') == std::string::npos && dir.find('\0') == std::string::npos);
    return 0;
}
