// The HTML report's look and behaviour, inline in every page (no external assets).
#pragma once

#include <string_view>

namespace relaylab::scn {

std::string_view html_report_style();   // CSS
std::string_view html_report_script();  // JS: the step-through (buttons, slider, keyboard)

}  // namespace relaylab::scn
