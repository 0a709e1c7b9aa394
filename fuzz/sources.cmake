# The sources of the fuzz cores and the fuzzers, apart from fuzz/CMakeLists.txt so that every build
# (also one without -DRELAYLAB_FUZZ=ON) can describe them to scripts/check-links.sh (cmake/link_map.cmake).
file(GLOB relaylab_fuzz_formats CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/diagnosis/formats/*.cpp)
set(relaylab_fuzz_core_sources
  ${PROJECT_SOURCE_DIR}/clock/duration.cpp
  ${PROJECT_SOURCE_DIR}/jsonsource/json_source.cpp
  ${PROJECT_SOURCE_DIR}/smtpclient/reply.cpp
  ${PROJECT_SOURCE_DIR}/smtpclient/outcome.cpp
  ${PROJECT_SOURCE_DIR}/smtpclient/reply_parser.cpp
  ${PROJECT_SOURCE_DIR}/smtpserver/reply.cpp
  ${PROJECT_SOURCE_DIR}/smtpserver/command.cpp
  ${PROJECT_SOURCE_DIR}/smtpserver/data_reader.cpp
  ${PROJECT_SOURCE_DIR}/smtpserver/session.cpp
  ${PROJECT_SOURCE_DIR}/tls/negotiated.cpp
  ${PROJECT_SOURCE_DIR}/resolver/answer.cpp
  ${PROJECT_SOURCE_DIR}/resolver/result.cpp
  ${PROJECT_SOURCE_DIR}/resolver/name.cpp
  ${PROJECT_SOURCE_DIR}/address/address.cpp
  ${PROJECT_SOURCE_DIR}/bounce/maildir.cpp
  ${PROJECT_SOURCE_DIR}/taxonomy/outcome.cpp
  ${PROJECT_SOURCE_DIR}/taxonomy/claim.cpp
  ${PROJECT_SOURCE_DIR}/taxonomy/classify.cpp
  ${PROJECT_SOURCE_DIR}/taxonomy/reply_rules.cpp
  ${PROJECT_SOURCE_DIR}/bounce/policy.cpp
  ${PROJECT_SOURCE_DIR}/bounce/policy_loader.cpp
  ${PROJECT_SOURCE_DIR}/scenarios/world/dns_message.cpp
  ${PROJECT_SOURCE_DIR}/scenarios/world/dns_zone.cpp
  ${PROJECT_SOURCE_DIR}/scenarios/world/dns_zone_json.cpp
  ${PROJECT_SOURCE_DIR}/scenarios/world/smtp_script.cpp
  # The scenario loader: the gateway's config reader, and the remote-MTA profiles (embedded below).
  ${PROJECT_SOURCE_DIR}/relay/config.cpp
  ${PROJECT_SOURCE_DIR}/queue/queue.cpp
  ${PROJECT_SOURCE_DIR}/queue/retry.cpp
  ${PROJECT_SOURCE_DIR}/scenarios/scenario_loader.cpp
  ${PROJECT_SOURCE_DIR}/scenarios/mta_profiles.cpp
  # What `relaylab explain` runs on a text: the readers (MIME through GMime, RFC 3464 reports, the
  # providers' formats), the verdict, and the explanation (words only, no I/O).
  ${PROJECT_SOURCE_DIR}/diagnosis/finding.cpp
  ${PROJECT_SOURCE_DIR}/diagnosis/bounce_reader.cpp
  ${PROJECT_SOURCE_DIR}/diagnosis/log_reader.cpp
  ${PROJECT_SOURCE_DIR}/diagnosis/mime_message.cpp
  ${PROJECT_SOURCE_DIR}/diagnosis/mime_dsn.cpp
  ${PROJECT_SOURCE_DIR}/diagnosis/verdict.cpp
  ${PROJECT_SOURCE_DIR}/diagnosis/explanation.cpp
  # The mbox splitter of the batch readers (`relaylab explain --jsonl`, `relaylab triage`).
  ${PROJECT_SOURCE_DIR}/diagnosis/batch.cpp
  ${relaylab_fuzz_formats})

# The project libraries the cores link: header-only ones (result/result.hpp, which the queue's,
# the policy's and the Maildir's headers include).
set(relaylab_fuzz_core_links relaylab_result)

# Headers the cores use only for their inline parts, whose .cpp is not theirs: clock.cpp is the
# VirtualClock's timers on Asio, which the cores never arm (they take TimePoints, not timers);
# intake/limits.hpp is a plain struct the config reader fills (intake's .cpp is the listener's).
set(relaylab_fuzz_inline_headers ${PROJECT_SOURCE_DIR}/clock/clock.hpp ${PROJECT_SOURCE_DIR}/intake/limits.hpp)

# Each fuzzer is fuzz_<name> from <name>_fuzz.cpp and links relaylab_fuzz_cores (and so only the
# objects of the cores it runs); its seed corpus is fuzz/corpus/<name>/.
set(relaylab_fuzzers reply_parser intake_session address dns_query dns_answer policy zone mta_script json_source
    explain scenario read_all mbox)
