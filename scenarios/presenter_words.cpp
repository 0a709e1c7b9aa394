#include "scenarios/presenter_words.hpp"

#include "clock/duration.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace relaylab::scn {

std::string_view to_string(Lang l) { return l == Lang::Ja ? "ja" : "en"; }

std::optional<Lang> lang_from_string(std::string_view s) {
    if (s == "en") return Lang::En;
    if (s == "ja") return Lang::Ja;
    return std::nullopt;
}

namespace {

struct Words {
    std::string_view key, en, ja;
};

constexpr Words ui_words[] = {
    {"page-title", "Training: a mail the handset was told about", "研修：携帯電話に届いた通知の読み方"},
    {"decisive", "The decisive step", "決め手となったステップ"},
    {"decisive-short", "decisive", "決め手"},
    {"handset-saw", "What the handset read", "携帯電話に表示された通知"},
    {"truth", "What really happened (delivery-status, RFC 3464: always truthful)",
     "実際に起きたこと（配送状態 RFC 3464：常に正確）"},
    {"the-same", "The same in every notice: only the words differ", "どの通知でも同じ内容：違うのは文面だけです"},
    {"no-notice", "No notice: the handset heard nothing.", "通知なし：携帯電話には何も届いていません。"},
    {"says-correct", "correct", "正しい"},
    {"says-wrong", "wrong", "誤り"},
    {"says-unclear", "unclear", "不明"},
    {"notice-claims", "The notice says: ", "通知の内容："},
    {"truth-is", "What happened: ", "実際の原因："},
    {"steps", "What happened, step by step", "経過（ステップごと）"},
    {"first", "First", "最初"},
    {"prev", "Previous", "前へ"},
    {"next", "Next", "次へ"},
    {"last", "Last", "最後"},
    {"to-decisive", "Decisive step", "決め手へ"},
    {"step", "Step", "ステップ"},
    {"of", "of", "/"},
    {"keys", "Keys: ← → step, Home / End.", "キー操作：← → で移動、Home / End で最初・最後。"},
    {"folded", "click to open", "クリックで開く"},
    {"checks", "Checks of this scenario", "このシナリオの確認項目"},
    {"times-in", "Times in UTC", "時刻は UTC"},
    {"handset", "Handset", "携帯電話"},
    {"gateway", "Relay", "中継サーバー"},
    {"dns", "DNS", "DNS"},
    {"server", "Receiving server", "受信側サーバー"},
    {"policy", "Scenario", "シナリオ"},
};

// Failure classes and claims (docs/taxonomy.md), as a handset's owner or a support desk would say them.
constexpr Words cause_table[] = {
    {"delivered", "the mail was delivered", "メールは配達されました"},
    {"host_unknown", "the destination host was not found", "宛先のホストが見つからない"},
    {"dns_nxdomain", "the recipient's domain does not exist", "宛先のドメインが存在しない"},
    {"dns_nodata", "the recipient's domain has no mail server", "宛先のドメインにメールサーバーがない"},
    {"bad_domain", "the recipient's domain is not a valid name", "宛先のドメイン名が正しくない"},
    {"null_mx", "the recipient's domain accepts no mail", "宛先のドメインはメールを受け付けていない"},
    {"no_mail_service", "the recipient's domain accepts no mail", "宛先のドメインはメールを受け付けていない"},
    {"mx_no_address", "the recipient's mail server has no address in DNS", "宛先のメールサーバーのアドレスが DNS にない"},
    {"dns_temporary", "DNS did not answer for now", "DNS が一時的に応答しない"},
    {"connect_failed", "the receiving server could not be reached", "受信側サーバーに接続できない"},
    {"connection_failed", "the receiving server could not be reached", "受信側サーバーに接続できない"},
    {"greeting_rejected", "the receiving server refused the connection", "受信側サーバーが接続を拒否した"},
    {"helo_rejected", "the receiving server refused the relay's greeting", "受信側サーバーが中継サーバーのあいさつを拒否した"},
    {"sender_rejected", "the receiving server refused the sender's address", "受信側サーバーが送信元アドレスを拒否した"},
    {"user_unknown", "the recipient's mailbox does not exist", "宛先のメールボックスが存在しない"},
    {"recipient_unknown", "the recipient's mailbox does not exist", "宛先のメールボックスが存在しない"},
    {"recipient_rejected", "the receiving server refused the recipient", "受信側サーバーが宛先を拒否した"},
    {"data_rejected", "the receiving server refused to take the message", "受信側サーバーが本文の受け取りを拒否した"},
    {"message_rejected", "the receiving server refused the message", "受信側サーバーがメールを拒否した"},
    {"message_too_large", "the message is too large", "メールが大きすぎる"},
    {"protocol_error", "the receiving server answered in a broken way", "受信側サーバーの応答が壊れていた"},
    {"temporary_failure", "a temporary failure; the relay tries again", "一時的な障害（再送します）"},
    {"mail_loop", "the mail went round in a loop", "メールが中継の輪を回った"},
    {"local_error", "the relay itself failed", "中継サーバー自体の障害"},
    {"expired", "the relay gave up after retrying for days", "何日も再送したが届けられなかった"},
    {"undeliverable", "the mail could not be delivered (no cause named)", "メールを届けられなかった（原因の説明なし）"},
    {"mailbox_full", "the recipient's mailbox is full", "宛先のメールボックスが満杯"},
    {"mailbox_disabled", "the recipient's mailbox is suspended", "宛先のメールボックスが停止されている"},
    {"recipient_moved", "the recipient's address has moved", "宛先のアドレスが変更された"},
    {"recipient_filter", "the recipient's reception filter refused the sender", "宛先の受信拒否設定で拒否された"},
    {"auth_failure", "the sender's domain failed authentication (SPF/DKIM/DMARC)", "送信ドメイン認証（SPF/DKIM/DMARC）に失敗した"},
    {"ip_blocklisted", "the relay's address is on a block list", "中継サーバーのアドレスがブロックリストに載っている"},
    {"bad_reputation", "the relay has a poor reputation", "中継サーバーの評判が悪い"},
    {"ptr_required", "the relay's address has no reverse DNS", "中継サーバーのアドレスに逆引きがない"},
    {"rate_limited", "too many messages too fast", "短時間に送りすぎた"},
    {"too_many_connections", "too many connections or recipients at once", "同時接続・宛先が多すぎる"},
    {"relaying_denied", "the server is not the recipient's mail server", "そのサーバーは宛先のメールサーバーではない"},
    {"spam_detected", "the message was judged to be spam", "迷惑メールと判定された"},
    {"virus_detected", "the message carries a virus", "ウイルスが検出された"},
    {"exceeds_limit", "larger than the recipient's mailbox allows", "宛先のメールボックスの上限を超えた"},
    {"content_error", "the content was refused", "内容が拒否された"},
    {"not_rfc_compliant", "the message's header breaks the standard", "メールのヘッダーが規格に反している"},
    {"tls_required", "the receiving server requires encryption", "受信側サーバーが暗号化を要求した"},
    {"starttls_failed", "encryption could not be set up", "暗号化を開始できなかった"},
    {"tls_not_offered", "the receiving server does not offer the encryption required for it", "受信側サーバーが必要な暗号化に対応していない"},
    {"starttls_refused", "the receiving server refused to start encryption", "受信側サーバーが暗号化の開始を断った"},
    {"tls_handshake_failed", "the encrypted connection could not be made", "暗号化の接続ができなかった"},
    {"tls_cert_untrusted", "the receiving server's certificate is not trusted", "受信側サーバーの証明書を信頼できない"},
    {"tls_cert_expired", "the receiving server's certificate has expired", "受信側サーバーの証明書の期限が切れている"},
    {"tls_cert_wrong_name", "the receiving server's certificate is for another name", "受信側サーバーの証明書の名前が違う"},
    {"security_error", "refused for security reasons", "セキュリティ上の理由で拒否された"},
    {"not_accepting", "the receiving server accepts no mail", "受信側サーバーはメールを受け付けていない"},
    {"system_error", "the receiving server failed", "受信側サーバーの障害"},
    {"system_full", "the receiving server is out of storage", "受信側サーバーの容量不足"},
    {"syntax_error", "the receiving server did not understand the relay", "受信側サーバーが中継サーバーの命令を理解しなかった"},
    {"mailer_error", "the receiving server's delivery program failed", "受信側サーバーの配送プログラムの障害"},
    {"policy_violation", "refused by the receiving site's policy", "受信側の方針により拒否された"},
    {"smtputf8_not_offered", "the receiving server cannot take an address written in Japanese (no SMTPUTF8)",
     "受信側サーバーが日本語などを含むアドレスに対応していない（SMTPUTF8 非対応）"},
    {"delayed", "the mail is delayed", "メールが遅れている"},
    {"auto_reply", "an automatic reply", "自動応答"},
    {"abuse_feedback", "an abuse report", "迷惑メール報告"},
};

std::string_view pick(const Words& w, Lang l) { return l == Lang::Ja ? w.ja : w.en; }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool iequal_prefix(std::string_view s, std::string_view p) {
    if (s.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(s[i])) != p[i]) return false;
    return true;
}

// "en" / "ja" text with {1}, {2} in it.
std::string fill(std::string_view pattern, std::string_view a, std::string_view b = {}) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}' && (pattern[i + 1] == '1' || pattern[i + 1] == '2')) {
            out += pattern[i + 1] == '1' ? a : b;
            i += 2;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

std::string say(Lang l, std::string_view en, std::string_view ja, std::string_view a = {}, std::string_view b = {}) {
    return fill(l == Lang::Ja ? ja : en, a, b);
}

// The word before the first space: "isp.example" of "? isp.example MX".
std::string_view word(std::string_view s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        auto sp = s.find(' ');
        if (sp == std::string_view::npos) return {};
        s = s.substr(sp + 1);
    }
    return s.substr(0, s.find(' '));
}

std::string reply_caption(Lang l, const SequenceStep& s, std::string_view cmd) {
    const std::string code = s.label.substr(0, 3);
    if (s.tone == Tone::Good) {
        if (cmd.empty()) return say(l, "The server greets the relay ({1})", "サーバーがあいさつを返します（{1}）", code);
        return say(l, "The server agrees ({1})", "サーバーが了承します（{1}）", code);
    }
    if (starts_with(s.label, "354")) return say(l, "The server asks for the message text (354)", "サーバーが本文の送信を促します（354）");
    std::string what;
    if (cmd.empty()) what = say(l, "the connection", "接続");
    else if (iequal_prefix(cmd, "MAIL")) what = say(l, "the sender's address", "送信元アドレス");
    else if (iequal_prefix(cmd, "RCPT")) what = say(l, "the recipient", "宛先");
    else if (iequal_prefix(cmd, "EHLO") || iequal_prefix(cmd, "HELO")) what = say(l, "the relay's greeting", "中継サーバーのあいさつ");
    else what = say(l, "the message", "メール");
    if (s.tone == Tone::Temporary)
        return say(l, "The server puts off {1} for now ({2}): try again later", "サーバーが{1}を一時的に断ります（{2}）：後で再送", what, code);
    if (s.tone == Tone::Permanent)
        return say(l, "The server refuses {1} for good ({2})", "サーバーが{1}を拒否します（{2}）", what, code);
    return say(l, "The server answers ({1})", "サーバーが応答します（{1}）", code);
}

std::string command_caption(Lang l, const SequenceStep& s) {
    std::string_view c = s.label;
    auto angle = [&] {
        auto open = c.find('<'), close = c.find('>');
        return open == std::string_view::npos || close == std::string_view::npos ? std::string_view{} : c.substr(open, close - open + 1);
    };
    if (iequal_prefix(c, "EHLO") || iequal_prefix(c, "HELO"))
        return say(l, "The relay introduces itself and asks what the server can do", "中継サーバーが名乗り、サーバーの機能を尋ねます");
    if (iequal_prefix(c, "MAIL")) return say(l, "The relay gives the sender's address {1}", "中継サーバーが送信元アドレス {1} を伝えます", angle());
    if (iequal_prefix(c, "RCPT")) return say(l, "The relay names the recipient {1}", "中継サーバーが宛先 {1} を伝えます", angle());
    if (iequal_prefix(c, "DATA")) return say(l, "The relay asks to send the message", "中継サーバーが本文の送信を申し出ます");
    if (starts_with(c, "<body")) return say(l, "The relay sends the message text", "中継サーバーが本文を送ります");
    if (iequal_prefix(c, "QUIT")) return say(l, "The relay says goodbye", "中継サーバーが終了を告げます");
    if (iequal_prefix(c, "RSET")) return say(l, "The relay starts over", "中継サーバーがやり直しを告げます");
    if (iequal_prefix(c, "STARTTLS")) return say(l, "The relay asks for encryption", "中継サーバーが暗号化を求めます");
    return say(l, "The relay sends a command", "中継サーバーがコマンドを送ります");
}

// "attempt 1 for user@isp.example: bounced, sender_rejected 5.1.7 (...)"
std::string attempt_caption(Lang l, const SequenceStep& s) {
    std::string_view t = s.label;
    auto colon = t.find(": ");
    std::string_view who = word(t, 3);
    if (!who.empty() && who.back() == ':') who.remove_suffix(1);
    std::string_view rest = colon == std::string_view::npos ? std::string_view{} : t.substr(colon + 2);
    if (starts_with(rest, "delivered")) return say(l, "Delivered to {1}", "{1} への配達が完了しました", who);
    std::string_view cls = word(rest, 1);
    std::string cause = cause_words(l, cls);
    if (starts_with(rest, "deferred"))
        return say(l, "Not delivered yet to {1} ({2}); the relay will try again", "{1} へはまだ届きません（{2}）。後で再送します", who, cause);
    if (starts_with(rest, "expired"))
        return say(l, "The relay gives up on {1} ({2})", "{1} への配達をあきらめます（{2}）", who, cause);
    return say(l, "Delivery to {1} failed for good: {2}", "{1} への配達は失敗（確定）：{2}", who, cause);
}

}  // namespace

std::string_view ui(Lang l, std::string_view key) {
    for (const auto& w : ui_words)
        if (w.key == key) return pick(w, l);
    return key;
}

std::string cause_words(Lang l, std::string_view name) {
    for (const auto& w : cause_table)
        if (w.key == name) return std::string(pick(w, l));
    return l == Lang::Ja ? "その他の原因" : "another cause";
}

std::optional<int> parse_zone_offset(std::string_view s) {
    if (s == "Z" || s == "UTC" || s == "z") return 0;
    if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
    int h = 0, m = 0;
    auto digits = [](std::string_view d, int& v) {
        if (d.size() != 2 || !std::isdigit(static_cast<unsigned char>(d[0])) || !std::isdigit(static_cast<unsigned char>(d[1])))
            return false;
        v = (d[0] - '0') * 10 + (d[1] - '0');
        return true;
    };
    if (!digits(s.substr(1, 2), h) || !digits(s.substr(4, 2), m) || m > 59 || h * 60 + m > 14 * 60) return std::nullopt;
    return (s[0] == '-' ? -1 : 1) * (h * 60 + m);
}

std::string local_time(TimePoint t, int offset_minutes) {
    std::string utc = format_time(t + std::chrono::minutes(offset_minutes));  // "2009-06-01T19:00:00.000Z"
    char zone[32];
    int a = std::abs(offset_minutes);
    std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
    return utc.substr(0, 10) + " " + utc.substr(11, 8) + " " + zone;
}

std::string local_clock(TimePoint t, int offset_minutes) {
    return format_time(t + std::chrono::minutes(offset_minutes)).substr(11, 5);
}

std::string step_caption(Lang l, const SequenceStep& s, std::string_view previous_command) {
    std::string_view t = s.label;
    switch (s.kind) {
    case StepKind::Submission: {
        auto sp = t.find(" submits to ");
        std::string_view who = t.substr(0, sp), to = sp == std::string_view::npos ? std::string_view{} : t.substr(sp + 12);
        to = to.substr(0, to.find(", subject"));
        return say(l, "The handset {1} sends a mail to {2}", "携帯電話 {1} が {2} 宛てにメールを送ります", who, to);
    }
    case StepKind::Intake:
        if (starts_with(t, "intake accepted"))
            return say(l, "The relay accepts the mail: the handset thinks it is sent", "中継サーバーがメールを受け付けます（携帯電話では送信完了）");
        return say(l, "The relay refuses the mail at once", "中継サーバーがその場で受け付けを拒否します");
    case StepKind::Relay: return say(l, "The mail waits in the relay's queue", "メールが中継サーバーの送信待ちに入ります");
    case StepKind::DnsQuestion:
        return say(l, "The relay asks DNS about {1}", "中継サーバーが DNS に {1} を問い合わせます", word(t, 1));
    case StepKind::DnsAnswer:
        return s.tone == Tone::Neutral ? say(l, "DNS answers", "DNS が応答します") : say(l, "DNS gives no usable answer", "DNS から使える応答がありません");
    case StepKind::MxResult:
        return s.tone == Tone::Neutral ? say(l, "The relay knows where {1}'s mail goes", "{1} のメールサーバーが分かりました", word(t, 0))
                                       : say(l, "The relay cannot find where {1}'s mail goes", "{1} のメールサーバーが見つかりません", word(t, 0));
    case StepKind::Connect: {
        std::string_view host = word(t, 2);
        return say(l, "The relay connects to the receiving server {1}", "中継サーバーが受信側サーバー {1} に接続します", host.substr(0, host.find('[')));
    }
    case StepKind::ConnectFailed: {
        std::string_view host = word(t, 2);
        return say(l, "The relay cannot connect to {1}", "中継サーバーは {1} に接続できません", host.substr(0, host.find('[')));
    }
    case StepKind::Command: return command_caption(l, s);
    case StepKind::Reply: return reply_caption(l, s, previous_command);
    case StepKind::Session:
        if (t == "close") return say(l, "The connection is closed", "接続を閉じます");
        return say(l, "The server stops answering", "サーバーからの応答が途絶えます");
    case StepKind::Attempt:
    case StepKind::Retry: return attempt_caption(l, s);
    case StepKind::Notice: {
        // "notice to H (failure, claims C)"
        std::string_view who = word(t, 2);
        auto claims = t.find("claims ");
        std::string_view claim = claims == std::string_view::npos ? std::string_view{} : t.substr(claims + 7);
        claim = claim.substr(0, claim.find(')'));
        return say(l, "The handset {1} gets a notice that says: {2}", "携帯電話 {1} に通知が届きます。内容：{2}", who, cause_words(l, claim));
    }
    case StepKind::Other: break;
    }
    return say(l, "The relay notes something", "中継サーバーの記録");
}

}  // namespace relaylab::scn
