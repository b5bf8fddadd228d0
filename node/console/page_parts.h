// Pieces the console's pages share (pages.cc, pages_problem.cc, pages_ledger.cc). Internal.
#ifndef RECTSYNC_NODE_CONSOLE_PAGE_PARTS_H_
#define RECTSYNC_NODE_CONSOLE_PAGE_PARTS_H_

#include <string>
#include <utility>
#include <vector>

#include "node/console/pages.h"

namespace rectsync::console {

inline constexpr const char* kStatusKeys[] = {"open", "in_progress", "claimed", "accepted", "closed"};
inline constexpr const char* kColourKeys[] = {"red", "yellow", "green"};

// "open", "in_progress", ... (the label keys of a status).
std::string StatusKey(v1::Status s);
// A coloured tag for a deadline colour (三色), "-" for none.
std::string ColourTag(Lang lang, const std::string& colour);
// Select options: the units given (and "(all)" first when `any`).
std::vector<std::pair<std::string, std::string>> UnitOptions(const View& v, const std::vector<std::string>& units,
                                                            bool any);
// Select options: the inspections, after "(all)" when `any`, else "(none)".
std::vector<std::pair<std::string, std::string>> InspectionOptions(
    const View& v, const std::vector<v1::InspectionOpened>& inspections, bool any);

}  // namespace rectsync::console

#endif  // RECTSYNC_NODE_CONSOLE_PAGE_PARTS_H_
