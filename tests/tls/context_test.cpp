// tls/context.hpp: contexts that cannot be made say which file and why (config "tls.ca_file" shows
// the words to the operator at start-up).
#include "tls/certificates.hpp"
#include "tls/context.hpp"

#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

using namespace relaylab;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {
const TimePoint kT0 = std::chrono::system_clock::from_time_t(1935446400);  // 2031-05-01
}

TEST_CASE("client_context: a ca_file that cannot be read names the file and OpenSSL's reason", "[tls][unit]") {
    test::TempDir dir("relaylab-tls");
    SECTION("missing") {
        const auto path = (dir.path() / "missing-ca.pem").string();
        auto ctx = tls::client_context(path);
        CHECK_FALSE(ctx.ok());
        INFO(ctx.error());
        CHECK(ctx.error().rfind(path + ": cannot load certificate authorities: ", 0) == 0);
        CHECK(ctx.error().find("No such file or directory") != std::string::npos);  // the system's words
        CHECK(ctx.error().find("no such file") != std::string::npos);                // and OpenSSL's
    }
    SECTION("a directory") {
        auto ctx = tls::client_context(dir.path().string());
        CHECK_FALSE(ctx.ok());
        INFO(ctx.error());
        CHECK(ctx.error().rfind(dir.path().string() + ": cannot load certificate authorities: ", 0) == 0);
        CHECK(ctx.error().find("no certificate or crl found") != std::string::npos);
    }
    SECTION("no certificate in it") {
        const auto path = dir.path() / "garbage.pem";
        std::ofstream(path) << "this is not PEM\n";
        auto ctx = tls::client_context(path.string());
        CHECK_FALSE(ctx.ok());
        INFO(ctx.error());
        CHECK(ctx.error().rfind(path.string() + ": cannot load certificate authorities: ", 0) == 0);
        CHECK(ctx.error().find("no certificate or crl found") != std::string::npos);
    }
    SECTION("the error queue is left empty for the next one") {
        CHECK_FALSE(tls::client_context((dir.path() / "missing-ca.pem").string()));
        CHECK(tls::take_errors().empty());
    }
}

TEST_CASE("client_context: a readable ca_file, or the system's authorities", "[tls][unit]") {
    test::TempDir dir("relaylab-tls");
    auto ca = tls::make_certificate({"relaylab test authority", kT0, kT0 + 24h, true}, nullptr);
    std::ofstream(dir.path() / "ca.pem") << ca.cert_pem;
    auto ctx = tls::client_context((dir.path() / "ca.pem").string());
    CHECK(ctx.ok());
    auto system = tls::client_context("");
    CHECK(system.ok());
}

TEST_CASE("server_context: from PEM text and from files, and a key of another certificate is refused", "[tls][unit]") {
    test::TempDir dir("relaylab-tls");
    auto a = tls::make_certificate({"mail.isp.test", kT0, kT0 + 24h, false}, nullptr);
    auto b = tls::make_certificate({"mail.isp.test", kT0, kT0 + 24h, false}, nullptr);
    CHECK(tls::server_context_from_pem(a.cert_pem, a.key_pem).ok());
    auto mismatch = tls::server_context_from_pem(a.cert_pem, b.key_pem);
    CHECK_FALSE(mismatch.ok());
    INFO(mismatch.error());
    CHECK(mismatch.error() == "cannot load the private key: key values mismatch");

    std::ofstream(dir.path() / "cert.pem") << a.cert_pem;
    std::ofstream(dir.path() / "key.pem") << a.key_pem;
    std::ofstream(dir.path() / "other-key.pem") << b.key_pem;
    const auto cert = (dir.path() / "cert.pem").string();
    CHECK(tls::server_context_from_files(cert, (dir.path() / "key.pem").string()).ok());
    auto wrong = tls::server_context_from_files(cert, (dir.path() / "other-key.pem").string());
    CHECK_FALSE(wrong.ok());
    INFO(wrong.error());
    CHECK(wrong.error() == (dir.path() / "other-key.pem").string() + ": cannot load the private key: key values mismatch");
    auto missing = tls::server_context_from_files((dir.path() / "none.pem").string(), (dir.path() / "key.pem").string());
    CHECK_FALSE(missing.ok());
    INFO(missing.error());
    CHECK(missing.error().rfind((dir.path() / "none.pem").string() + ": cannot load the certificate chain", 0) == 0);
}
