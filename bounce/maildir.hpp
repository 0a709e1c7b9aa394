// Delivery of a handset notice into a Maildir: <mailboxes>/<safe(address)>/new/<unique>.
// The directory name is derived from an address the handset chose, so it is escaped until it can
// never climb out of <mailboxes> (no '/', never "." or "..", no leading dot, bounded length).
#pragma once

#include "clock/clock.hpp"
#include "result/result.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace relaylab::gw {

// Linux allows 255 octets per name (NAME_MAX); leave room and keep listings readable.
inline constexpr std::size_t kMaxMailboxNameOctets = 200;

// '%' , '/', control bytes (NUL included), DEL and a leading '.' become %XX; other bytes stay.
// An empty address becomes "%empty". Names longer than kMaxMailboxNameOctets keep a prefix and get
// "%h" plus 16 hex digits of a hash of the whole address, so distinct addresses stay distinct.
std::string mailbox_directory_name(std::string_view address);

// What makes a Maildir file name unique (the maildir(5) convention "time.MusecPpidQseq.host"):
// all passed in, so that scenario runs name their files the same way every time.
struct MaildirFileName {
    TimePoint time{};
    std::uint64_t sequence = 0;
    long process_id = 0;
    std::string hostname;
};
// "1243850400.M000000P1234Q5.relaylab"; '/' and ':' in the host name are written \057 and \072.
std::string maildir_file_name(const MaildirFileName& name);

enum class MaildirError {
    CreateDirectory,  // mailboxes root, the mailbox or tmp/new/cur could not be made
    OpenTemporary,    // tmp/<name> could not be created (or already existed)
    Write,
    Sync,             // fsync of the file or of new/
    AlreadyDelivered, // new/<name> exists: the unique name was not unique
    Link,             // moving tmp/<name> to new/<name> failed
};
std::string_view to_string(MaildirError e);

struct MaildirFailure {
    MaildirError kind = MaildirError::CreateDirectory;
    int system_error = 0;        // errno of the failing call
    // Set only when the file did reach new/ but new/ could not be fsynced (kind Sync): the notice
    // may be there, or may vanish in a crash; the caller decides (the notice writer tries again).
    std::filesystem::path path;
};
// The file in new/, or why it is not there.
using MaildirDelivery = Result<std::filesystem::path, MaildirFailure>;

// Writes tmp/<unique>, fsyncs it, links it into new/ (never replacing a file there), removes the
// tmp name and fsyncs new/ (maildir(5): a message appears in new/ complete or not at all).
MaildirDelivery deliver_to_maildir(const std::filesystem::path& mailboxes, std::string_view address,
                                   std::string_view message, const MaildirFileName& name);

}  // namespace relaylab::gw
