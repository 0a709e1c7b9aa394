// Amazon SES event notifications (Bounce, Complaint, Delivery) as JSON, delivered by SNS in an
// email body or pasted alone, from the field names of the "Amazon SNS notification contents for
// Amazon SES" documentation: one Finding per bounced, complained-of or delivered recipient.
#pragma once

#include "diagnosis/finding.hpp"

#include <string_view>
#include <vector>

namespace relaylab::diag::formats {

// Empty when the text holds no SES notification (the JSON may stand anywhere in the text, or be
// the "Message" string of an SNS envelope).
std::vector<Finding> read_ses_notification(std::string_view text);

}  // namespace relaylab::diag::formats
