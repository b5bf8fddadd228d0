#include "aggregator/date.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace rectsync::aggregator {
namespace {

// Howard Hinnant's days_from_civil.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(absl::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int ToInt(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

absl::StatusOr<int64_t> ParseDate(absl::string_view date, absl::string_view field) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", date, "\" is not a date YYYY-MM-DD"));
  };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return bad();
  absl::string_view ys = date.substr(0, 4), ms = date.substr(5, 2), ds = date.substr(8, 2);
  if (!Digits(ys) || !Digits(ms) || !Digits(ds)) return bad();
  int y = ToInt(ys), m = ToInt(ms), d = ToInt(ds);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1990 || y > 2199 || m < 1 || m > 12 || d < 1) return bad();
  int max_day = kDays[m - 1] + (m == 2 && LeapYear(y));
  if (d > max_day) return bad();
  return DaysFromCivil(y, m, d);
}

std::string FormatDate(int64_t days) {
  // civil_from_days.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(y + (m <= 2)), m, d);
  return buf;
}

std::string DateOfMillis(int64_t unix_ms) {
  int64_t days = unix_ms / 86400000;
  if (unix_ms < 0 && unix_ms % 86400000 != 0) --days;
  return FormatDate(days);
}

absl::Status ValidatePeriod(absl::string_view period, absl::string_view field) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", period, "\" is not a period YYYY, YYYY-Qn or YYYY-MM"));
  };
  if (period.size() < 4 || !Digits(period.substr(0, 4))) return bad();
  int y = ToInt(period.substr(0, 4));
  if (y < 1990 || y > 2199) return bad();
  if (period.size() == 4) return absl::OkStatus();
  if (period.size() != 7 || period[4] != '-') return bad();
  if (period[5] == 'Q') {
    return period[6] >= '1' && period[6] <= '4' ? absl::OkStatus() : bad();
  }
  if (!Digits(period.substr(5, 2))) return bad();
  int m = ToInt(period.substr(5, 2));
  return m >= 1 && m <= 12 ? absl::OkStatus() : bad();
}

}  // namespace rectsync::aggregator
