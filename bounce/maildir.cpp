#include "bounce/maildir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

namespace relaylab::gw {

namespace {

// FNV-1a, 64 bit: stable across runs and platforms, which std::hash is not.
std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string percent(unsigned char c) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    return buf;
}

// mkdir that accepts an existing directory (but not an existing file or symlink to elsewhere).
int make_directory(const std::filesystem::path& p) {
    if (::mkdir(p.c_str(), 0700) == 0) return 0;
    int err = errno;
    struct stat st {};
    if (err == EEXIST && ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    return err == EEXIST ? ENOTDIR : err;
}

int sync_directory(const std::filesystem::path& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int rc = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    return rc;
}

MaildirDelivery failed(MaildirError e, int err) { return Failure{MaildirFailure{e, err, {}}}; }

}  // namespace

std::string mailbox_directory_name(std::string_view address) {
    if (address.empty()) return "%empty";
    std::string out;
    for (std::size_t i = 0; i < address.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(address[i]);
        if (c == '/' || c == '%' || c < 0x20 || c == 0x7F || (i == 0 && c == '.')) {
            out += percent(c);
        } else {
            out += static_cast<char>(c);
        }
    }
    if (out.size() <= kMaxMailboxNameOctets) return out;
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "%%h%016llx", static_cast<unsigned long long>(fnv1a(address)));
    std::size_t keep = kMaxMailboxNameOctets - std::string_view(suffix).size();
    // Never cut an escape in half: back up to before a '%' in the last two characters kept.
    for (std::size_t k = keep >= 2 ? keep - 2 : 0; k < keep; ++k)
        if (out[k] == '%') {
            keep = k;
            break;
        }
    return out.substr(0, keep) + suffix;
}

std::string maildir_file_name(const MaildirFileName& n) {
    auto since = n.time.time_since_epoch();
    auto secs = std::chrono::floor<std::chrono::seconds>(since);
    auto usec = std::chrono::duration_cast<std::chrono::microseconds>(since - secs).count();
    char buf[96];
    std::snprintf(buf, sizeof buf, "%lld.M%06lldP%ldQ%llu.", static_cast<long long>(secs.count()),
                  static_cast<long long>(usec), n.process_id, static_cast<unsigned long long>(n.sequence));
    std::string out = buf;
    std::string host;
    for (char c : n.hostname) {
        if (host.size() >= 64) break;
        if (c == '/') {
            host += "\\057";
        } else if (c == ':') {
            host += "\\072";
        } else if (static_cast<unsigned char>(c) > 0x20 && c != 0x7F) {
            host += c;
        }
    }
    return out + (host.empty() ? "localhost" : host);
}

std::string_view to_string(MaildirError e) {
    switch (e) {
    case MaildirError::CreateDirectory: return "create_directory";
    case MaildirError::OpenTemporary: return "open_temporary";
    case MaildirError::Write: return "write";
    case MaildirError::Sync: return "sync";
    case MaildirError::AlreadyDelivered: return "already_delivered";
    case MaildirError::Link: return "link";
    }
    return "?";
}

MaildirDelivery deliver_to_maildir(const std::filesystem::path& mailboxes, std::string_view address,
                                   std::string_view message, const MaildirFileName& name) {
    std::error_code ec;
    std::filesystem::create_directories(mailboxes, ec);
    if (ec) return failed(MaildirError::CreateDirectory, ec.value());
    const std::filesystem::path box = mailboxes / mailbox_directory_name(address);
    for (const auto& dir : {box, box / "tmp", box / "new", box / "cur"})
        if (int err = make_directory(dir)) return failed(MaildirError::CreateDirectory, err);

    const std::string file = maildir_file_name(name);
    const std::filesystem::path tmp = box / "tmp" / file;
    const std::filesystem::path dest = box / "new" / file;
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return failed(MaildirError::OpenTemporary, errno);

    auto abandon = [&](MaildirError e, int err) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return failed(e, err);
    };
    std::size_t done = 0;
    while (done < message.size()) {
        ssize_t w = ::write(fd, message.data() + done, message.size() - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            return abandon(MaildirError::Write, errno);
        }
        done += static_cast<std::size_t>(w);
    }
    if (::fsync(fd) != 0) return abandon(MaildirError::Sync, errno);
    if (::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return failed(MaildirError::Write, err);
    }
    // link() rather than rename(): rename would silently replace a message already in new/.
    if (::link(tmp.c_str(), dest.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return failed(err == EEXIST ? MaildirError::AlreadyDelivered : MaildirError::Link, err);
    }
    ::unlink(tmp.c_str());
    // The path goes with a failed sync too: the file is in new/, only its durability is unknown.
    if (int err = sync_directory(box / "new")) return Failure{MaildirFailure{MaildirError::Sync, err, dest}};
    return dest;
}

}  // namespace relaylab::gw
