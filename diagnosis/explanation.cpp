#include "diagnosis/explanation.hpp"

#include "diagnosis/verdict.hpp"
#include "gateway/address.hpp"

namespace relaylab::diag {

namespace {

using gw::FailureClass;
using gw::Language;
using FC = FailureClass;

struct Words {
    const char* en;
    const char* ja;
    std::string in(Language l) const { return l == Language::Ja ? ja : en; }
};

// RFC 3463 §3.1–§3.9 subject.detail texts (the ones a bounce commonly carries).
struct StatusWords {
    int subject, detail;
    Words words;
};
constexpr StatusWords status_words[] = {
    {0, 0, {"Other undefined status (says nothing about the cause)", "その他の未定義の状態（原因を何も示さない）"}},
    {1, 0, {"Other address status", "アドレスに関するその他の状態"}},
    {1, 1, {"Bad destination mailbox address (no such mailbox)", "宛先メールボックスのアドレスが不正（そのメールボックスはない）"}},
    {1, 2, {"Bad destination system address (the domain is not found)", "宛先システムのアドレスが不正（ドメインが見つからない）"}},
    {1, 3, {"Bad destination mailbox address syntax", "宛先メールボックスのアドレス構文が不正"}},
    {1, 6, {"Destination mailbox has moved", "宛先メールボックスは移転した"}},
    {1, 7, {"Bad sender's mailbox address syntax", "送信者のメールボックスのアドレス構文が不正"}},
    {1, 8, {"Bad sender's system address", "送信者のシステムのアドレスが不正"}},
    {1, 10, {"Recipient address has null MX (RFC 7505)", "宛先アドレスのドメインは null MX（RFC 7505）"}},
    {2, 0, {"Other or undefined mailbox status", "メールボックスに関するその他の状態"}},
    {2, 1, {"Mailbox disabled, not accepting messages", "メールボックスは無効で受信しない"}},
    {2, 2, {"Mailbox full", "メールボックスが満杯"}},
    {3, 4, {"Message too big for system", "メッセージがシステムにとって大きすぎる"}},
    {4, 1, {"No answer from host", "ホストから応答がない"}},
    {4, 2, {"Bad connection", "接続不良"}},
    {4, 3, {"Directory server failure (DNS)", "ディレクトリサーバー（DNS）の障害"}},
    {4, 4, {"Unable to route (no mail host for the domain)", "経路を決められない（ドメインにメールホストがない）"}},
    {4, 6, {"Routing loop detected", "配送経路のループを検出"}},
    {4, 7, {"Delivery time expired", "配送期限切れ"}},
    {5, 0, {"Other or undefined protocol status", "プロトコルに関するその他の状態"}},
    {5, 2, {"Syntax error", "構文エラー"}},
    {6, 0, {"Other or undefined media error (content refused)", "内容に関するその他のエラー（内容の拒否）"}},
    {7, 0, {"Other or undefined security status", "セキュリティに関するその他の状態"}},
    {7, 1, {"Delivery not authorized, message refused (policy)", "配送は許可されていない（方針による拒否）"}},
    {7, 26, {"Multiple authentication checks failed", "複数の認証検査に失敗"}},
};

struct CodeWords {
    int code;
    Words words;
};
// RFC 5321 §4.2.2 (the texts there, shortened).
constexpr CodeWords code_words[] = {
    {421, {"Service not available, closing transmission channel", "サービスを利用できない。接続を閉じる"}},
    {450, {"Requested mail action not taken: mailbox unavailable (temporary)", "要求は実行されなかった: メールボックスを利用できない（一時的）"}},
    {451, {"Requested action aborted: local error in processing (temporary)", "要求は中止された: 処理中のエラー（一時的）"}},
    {452, {"Requested action not taken: insufficient system storage (temporary)", "要求は実行されなかった: 記憶域の不足（一時的）"}},
    {500, {"Syntax error, command unrecognized", "構文エラー。コマンドを認識できない"}},
    {501, {"Syntax error in parameters or arguments", "パラメーターまたは引数の構文エラー"}},
    {503, {"Bad sequence of commands", "コマンドの順序が不正"}},
    {550, {"Requested action not taken: mailbox unavailable", "要求は実行されなかった: メールボックスを利用できない"}},
    {551, {"User not local", "ユーザーはここにいない"}},
    {552, {"Requested mail action aborted: exceeded storage allocation", "要求は中止された: 記憶域の割り当てを超えた"}},
    {553, {"Requested action not taken: mailbox name not allowed (e.g. mailbox syntax incorrect)",
           "要求は実行されなかった: メールボックス名は許されない（例: 構文が不正）"}},
    {554, {"Transaction failed (or, as a greeting, no SMTP service here)", "トランザクションは失敗した（接続時の応答なら、ここに SMTP サービスはない）"}},
};

struct ClassWords {
    FailureClass failure;
    Words cause;
    Words todo;
};
constexpr ClassWords class_words[] = {
    {FC::DnsNxdomain, {"The recipient's domain does not exist in the DNS: most often a typo after the @.", "宛先のドメインが DNS に存在しません。多くは @ 以後の入力誤りです。"},
     {"Check the part after the @ and send again.", "@ 以後を確認して送り直してください。"}},
    {FC::BadDomain, {"The recipient's domain is not a valid domain name.", "宛先のドメインは正しいドメイン名ではありません。"},
     {"Check the part after the @ and send again.", "@ 以後を確認して送り直してください。"}},
    {FC::DnsNodata, {"The domain exists but publishes no mail server (no MX) and no address (A/AAAA).", "ドメインは存在しますが、メールサーバー（MX）もアドレス（A/AAAA）もありません。"},
     {"The recipient's domain owner must publish an MX record; the sender can do nothing but tell them.", "受信側のドメイン管理者が MX を設定する必要があります。"}},
    {FC::NullMx, {"The domain declares with a null MX (RFC 7505) that it accepts no mail at all.", "ドメインは null MX（RFC 7505）でメールを一切受け付けないと宣言しています。"},
     {"Use another address for this recipient.", "この宛先には別のアドレスを使ってください。"}},
    {FC::MxNoAddress, {"The domain's MX names a mail server whose own name does not resolve: the receiving side's DNS is broken.", "ドメインの MX が指すメールサーバー名が DNS で引けません。受信側の DNS の誤りです。"},
     {"The recipient's DNS administrator must fix the MX target.", "受信側の DNS 管理者が MX の指す名前を直す必要があります。"}},
    {FC::DnsTemporary, {"The DNS lookup failed temporarily (SERVFAIL or timeout): the domain's name servers, or the gateway's resolver, are failing.", "DNS の問い合わせが一時的に失敗しました（SERVFAIL かタイムアウト）。ドメインのネームサーバーかゲートウェイのリゾルバーの障害です。"},
     {"Wait for the retries; if it persists, check the domain's name servers (dig +trace) and the gateway's resolver.", "再送を待ってください。続くなら、ドメインのネームサーバー（dig +trace）とゲートウェイのリゾルバーを調べてください。"}},
    {FC::ConnectFailed, {"No TCP connection to the receiving server: it is down, overloaded or firewalled.", "受信側サーバーに TCP 接続できません。停止、過負荷、またはファイアウォールです。"},
     {"Wait for the retries; the receiving side must check its server and firewall.", "再送を待ってください。受信側がサーバーとファイアウォールを確認する必要があります。"}},
    {FC::GreetingRejected, {"The receiving server refused the session before any address was given: it refuses the gateway (block list, overload), not the message.", "受信側サーバーがアドレスを受け取る前に接続を拒否しました。メールではなくゲートウェイを拒否しています（ブロックリスト、過負荷）。"},
     {"The gateway's operators must ask the receiving side why it refuses their IP address.", "ゲートウェイの運用者が受信側に IP アドレスを拒否する理由を問い合わせてください。"}},
    {FC::HeloRejected, {"The receiving server refused the gateway's EHLO/HELO name.", "受信側サーバーがゲートウェイの EHLO/HELO 名を拒否しました。"},
     {"The gateway's operators must make its host name resolve and match its IP address.", "ゲートウェイの運用者がホスト名を DNS で正しく引けるようにしてください。"}},
    {FC::SenderRejected, {"The receiving server refused the sender's address at MAIL FROM, before it saw any recipient: nothing is wrong with the recipient or the DNS.", "受信側サーバーが MAIL FROM で送信元アドレスを拒否しました。宛先や DNS には問題はありません。"},
     {"Ask the receiving side why it refuses the sender; or change the sender address.", "受信側に送信元を拒否する理由を問い合わせるか、送信元アドレスを変えてください。"}},
    {FC::RecipientUnknown, {"The receiving server says the mailbox does not exist.", "受信側サーバーによると、そのメールボックスは存在しません。"},
     {"Check the part before the @ with the recipient.", "@ より前を宛先の方に確認してください。"}},
    {FC::RecipientRejected, {"The receiving server refused this recipient (policy, quota or a disabled mailbox), not the whole message.", "受信側サーバーがこの宛先を拒否しました（方針、容量、無効なメールボックス）。"},
     {"Read the reply: a full mailbox (5.2.2) clears when the recipient deletes mail; policy refusals need the receiving side.", "応答を読んでください。満杯（5.2.2）は宛先が整理すれば解消します。方針による拒否は受信側に問い合わせが必要です。"}},
    {FC::DataRejected, {"The receiving server refused to take the message text (reply to DATA).", "受信側サーバーがメール本文の受け取りを拒否しました（DATA への応答）。"},
     {"Ask the receiving side; the refusal is about this session, not an address.", "受信側に問い合わせてください。アドレスではなくこのセッションへの拒否です。"}},
    {FC::MessageRejected, {"The receiving server read the whole message and refused it (content or format policy).", "受信側サーバーがメール全体を受け取った後で拒否しました（内容や形式の方針）。"},
     {"Change the content (attachments, format) or ask the receiving side what its filter objects to.", "内容（添付や形式）を変えるか、受信側にフィルターの理由を問い合わせてください。"}},
    {FC::MessageTooLarge, {"The message is bigger than the receiving server accepts.", "メールが受信側サーバーの受け付ける大きさを超えています。"},
     {"Send smaller attachments.", "添付ファイルを小さくして送ってください。"}},
    {FC::ProtocolError, {"The receiving server's answers were not valid SMTP.", "受信側サーバーの応答が SMTP として不正でした。"},
     {"The receiving side must fix its server (or the proxy in front of it).", "受信側がサーバー（または前段のプロキシー）を直す必要があります。"}},
    {FC::TemporaryFailure, {"The receiving server failed temporarily (a 4xx reply or a broken connection); greylisting answers 450/451 to a first attempt on purpose.", "受信側サーバーが一時的に失敗しました（4xx 応答か接続断）。グレイリスティングは初回に意図的に 450/451 を返します。"},
     {"Wait for the retries.", "再送を待ってください。"}},
    {FC::MailLoop, {"The route for the domain leads back to the gateway itself.", "ドメインへの配送経路がゲートウェイ自身に戻っています。"},
     {"The gateway's operators must fix the MX or the routing table.", "ゲートウェイの運用者が MX か経路の設定を直してください。"}},
    {FC::LocalError, {"The gateway itself failed.", "ゲートウェイ自身が失敗しました。"},
     {"The gateway's operators must look at its log.", "ゲートウェイの運用者がログを調べてください。"}},
    {FC::Expired, {"The gateway gave up after retrying for the queue lifetime.", "ゲートウェイは配送期限まで再送した後、配送をあきらめました。"},
     {"Find out why the last attempts failed (below) and send again once it is fixed.", "最後の試行が失敗した理由（下記）を確かめ、解消してから送り直してください。"}},
    {FC::Delivered, {"The message was delivered.", "メールは配送されました。"}, {"Nothing.", "対処は不要です。"}},
};

const ClassWords* words_for(FailureClass f) {
    for (const auto& w : class_words)
        if (w.failure == f) return &w;
    return nullptr;
}

std::string peer(const Finding& f) {
    if (f.remote_host.empty() && f.remote_ip.empty()) return {};
    if (f.remote_ip.empty()) return f.remote_host;
    return (f.remote_host.empty() ? std::string("?") : f.remote_host) + " [" + f.remote_ip + "]";
}

std::string what_failed(const Finding& f, const gw::Classification& c, Language lang) {
    const bool ja = lang == Language::Ja;
    if (f.dns_status) {
        const std::string st(gw::dns_status_name(*f.dns_status));
        const std::string what = f.mx_host_lookup ? (ja ? "MX ホストのアドレス検索" : "the MX host's address lookup")
                                                  : (ja ? "ドメインの MX 検索" : "the domain's MX lookup");
        return ja ? "DNS: " + what + "（" + f.dns_name + "）が " + st + " になりました。"
                  : "DNS: " + what + " for " + (f.dns_name.empty() ? "?" : f.dns_name) + " ended in " + st + ".";
    }
    std::string out;
    const auto where = peer(f);
    const std::string stage = c.stage ? std::string(gw::command_words(*c.stage)) : std::string("?");
    if (f.net) {
        const std::string err(smtp::to_string(*f.net));
        out = ja ? "接続: " + where + " との " + stage + " の段階で " + err + "。" : "connection: " + err + " with " + where + " at " + stage + ".";
    } else if (f.reply) {
        out = ja ? "受信側 " + where + " が " + stage + " に応答: " + f.reply->one_line()
                 : "the remote " + where + " answered " + stage + " with: " + f.reply->one_line();
    }
    if (f.stage_inferred) out += ja ? "（段階はステータスから推定）" : " (stage inferred from the status)";
    return out;
}

std::string meaning(const Finding& f, const gw::Classification& c, Language lang) {
    const bool ja = lang == Language::Ja;
    std::string out = (ja ? "RFC 3463 " : "RFC 3463 ") + c.status.str() + ": " + status_meaning(c.status, lang);
    out += c.status.klass == 5 ? (ja ? "（恒久的な失敗）" : " (permanent failure)")
                               : c.status.klass == 4 ? (ja ? "（一時的な失敗）" : " (persistent transient failure)") : "";
    if (f.reply) out += (ja ? "。RFC 5321 " : ". RFC 5321 ") + std::to_string(f.reply->code) + ": " + reply_code_meaning(f.reply->code, lang);
    return out + (ja ? "。" : ".");
}

std::string likely_cause(const Finding& f, const gw::Classification& c, Language lang) {
    const bool ja = lang == Language::Ja;
    const auto failure = c.expired && c.last_temporary ? *c.last_temporary : c.failure;
    std::string out;
    if (c.expired) out = words_for(FC::Expired)->cause.in(lang) + " ";
    if (const auto* w = words_for(failure)) out += w->cause.in(lang);
    if (failure == FC::SenderRejected && !f.sender.empty()) {
        const auto check = gw::check_address(f.sender);
        if (check.verdict != gw::AddressVerdict::DotAtom || check.was_quoted)
            out += (ja ? " " : " Most likely: ") + gw::explain_local_part(check, lang) + (ja ? "" : ".");
        else
            out += ja ? " 送信元アドレスの形式は正しいので、受信側の方針（SPF、評判、送信元ドメイン）による拒否です。"
                      : " The sender's address is well-formed, so it is the receiving side's policy (SPF, reputation, the sender's domain).";
    }
    return out;
}

std::string what_to_do(const Finding& f, const gw::Classification& c, Language lang) {
    const bool ja = lang == Language::Ja;
    const auto failure = c.expired && c.last_temporary ? *c.last_temporary : c.failure;
    if (failure == FC::SenderRejected && !f.sender.empty()) {
        const auto check = gw::check_address(f.sender);
        if (check.verdict == gw::AddressVerdict::QuotedOnly && !check.was_quoted)
            return ja ? "(1) ゲートウェイがローカルパートを引用符で囲んで送る（MAIL FROM:<" + check.quoted_form +
                            ">、Postfix の smtp_quote_rfc821_envelope=yes と同じ）、(2) ドットが先頭・末尾・連続しないアドレスに変更する、(3) 受信側がこの形式のアドレスを受け付ける。"
                      : "(1) the gateway sends the local part quoted, MAIL FROM:<" + check.quoted_form +
                            "> (Postfix does so by default, smtp_quote_rfc821_envelope=yes); (2) the sender changes to an address without leading, trailing or doubled dots; (3) the receiving side relaxes its check.";
    }
    if (c.expired && failure != FC::Expired) {
        if (const auto* w = words_for(failure)) return w->todo.in(lang);
    }
    if (const auto* w = words_for(c.failure)) return w->todo.in(lang);
    return {};
}

}  // namespace

std::string status_meaning(const gw::DsnStatus& s, Language lang) {
    for (const auto& w : status_words)
        if (w.subject == s.subject && w.detail == s.detail) return w.words.in(lang);
    return lang == Language::Ja ? "（この詳細コードの説明はありません）" : "(no description for this detail code)";
}

std::string reply_code_meaning(int code, Language lang) {
    for (const auto& w : code_words)
        if (w.code == code) return w.words.in(lang);
    if (code >= 500) return lang == Language::Ja ? "恒久的な否定応答" : "Permanent negative completion reply";
    if (code >= 400) return lang == Language::Ja ? "一時的な否定応答" : "Transient negative completion reply";
    return lang == Language::Ja ? "肯定応答" : "Positive reply";
}

Explanation explain(const Finding& finding, Language lang) {
    Explanation e;
    e.finding = finding;
    const bool ja = lang == Language::Ja;
    const auto verdict = classify_finding(finding);
    if (!verdict) {
        e.what_failed = ja ? "判断できません: この入力からは、失敗した段階と理由を読み取れませんでした。"
                           : "cannot tell: this input does not say at which stage delivery failed and why.";
        if (finding.reply && !finding.stage)
            e.notes.push_back(ja ? "応答は読めましたが、どのコマンドへの応答かが分かりません。"
                                 : "a reply was found, but not which command it answered.");
        return e;
    }
    const auto& c = *verdict;
    e.classification = c;
    e.what_failed = what_failed(finding, c, lang);
    e.meaning = meaning(finding, c, lang);
    e.likely_cause = likely_cause(finding, c, lang);
    e.what_to_do = what_to_do(finding, c, lang);
    if (!finding.reported_status.empty() && finding.reported_status != c.status.str()) {
        e.notes.push_back(ja ? "入力のステータスは " + finding.reported_status + " ですが、段階と応答からは " + c.status.str() +
                                   "（" + status_meaning(c.status, lang) + "）が正確です。"
                             : "the input's status is " + finding.reported_status + "; from the stage and the reply, " +
                                   c.status.str() + " (" + status_meaning(c.status, lang) + ") is the accurate one.");
    }
    if (c.failure == FC::SenderRejected || (c.expired && c.last_temporary == FC::SenderRejected))
        e.notes.push_back(ja ? "「Host Unknown」（ホストが見つかりません）はこの失敗の正しい説明ではありません。"
                             : "\"Host unknown\" is never the right name for this failure: MTAs use it for a domain that does not resolve.");
    return e;
}

std::string render_text(const Explanation& e, Language lang) {
    const bool ja = lang == Language::Ja;
    std::string out;
    out += (ja ? "入力: " : "input: ") + std::string(to_string(e.finding.source)) + "\n";
    if (!e.finding.sender.empty()) out += (ja ? "送信元: " : "sender: ") + e.finding.sender + "\n";
    if (!e.finding.recipient.empty()) out += (ja ? "宛先: " : "recipient: ") + e.finding.recipient + "\n";
    if (e.can_tell()) {
        const auto& c = *e.classification;
        out += (ja ? "分類: " : "class: ") + std::string(gw::to_string(c.failure));
        if (c.last_temporary) out += " (" + std::string(gw::to_string(*c.last_temporary)) + ")";
        out += ", " + c.status.str() + "\n\n";
        out += (ja ? "何が失敗したか: " : "what failed: ") + e.what_failed + "\n";
        out += (ja ? "意味: " : "what it means: ") + e.meaning + "\n";
        out += (ja ? "考えられる原因: " : "likely cause: ") + e.likely_cause + "\n";
        out += (ja ? "対処: " : "what to do: ") + e.what_to_do + "\n";
    } else {
        out += "\n" + e.what_failed + "\n";
    }
    if (!e.notes.empty()) out += "\n";
    for (const auto& n : e.notes) out += (ja ? "注: " : "note: ") + n + "\n";
    if (!e.finding.found.empty()) {
        out += ja ? "\n読み取れた内容:\n" : "\nfound:\n";
        for (const auto& f : e.finding.found) out += "  " + f + "\n";
    }
    return out;
}

nlohmann::json to_json(const Explanation& e) {
    const auto& f = e.finding;
    nlohmann::json j{{"source", to_string(f.source)}, {"can_tell", e.can_tell()}, {"sender", f.sender}, {"recipient", f.recipient}};
    j["stage"] = f.stage ? nlohmann::json(gw::stage_name(*f.stage)) : nlohmann::json();
    j["stage_inferred"] = f.stage_inferred;
    j["remote"] = {{"host", f.remote_host}, {"ip", f.remote_ip}};
    j["reply"] = f.reply ? nlohmann::json(f.reply->one_line()) : nlohmann::json();
    j["dns"] = f.dns_status ? nlohmann::json{{"name", f.dns_name}, {"status", gw::dns_status_name(*f.dns_status)}} : nlohmann::json();
    j["net_error"] = f.net ? nlohmann::json(smtp::to_string(*f.net)) : nlohmann::json();
    j["reported_status"] = f.reported_status;
    if (e.classification) {
        const auto& c = *e.classification;
        j["class"] = gw::to_string(c.failure);
        j["reason"] = gw::to_string(c.reason);
        j["status"] = c.status.str();
        j["permanent"] = c.permanent;
        j["last_class"] = c.last_temporary ? nlohmann::json(gw::to_string(*c.last_temporary)) : nlohmann::json();
    }
    j["what_failed"] = e.what_failed;
    j["meaning"] = e.meaning;
    j["likely_cause"] = e.likely_cause;
    j["what_to_do"] = e.what_to_do;
    j["notes"] = e.notes;
    j["found"] = f.found;
    return j;
}

}  // namespace relaylab::diag
