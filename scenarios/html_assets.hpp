// The HTML report's look and behaviour, inline in every page (no external assets).
#pragma once

#include <string_view>

namespace relaylab::scn {

std::string_view html_report_style();   // CSS
std::string_view html_report_script();  // JS: the step-through (buttons, slider, keyboard)
// The presenter form (scenarios/presenter_page.cpp): added after html_report_style().
std::string_view presenter_style();
std::string_view presenter_script();    // JS: step-through over the captioned steps; opens on the decisive one

}  // namespace relaylab::scn
