#include "aggregator/date.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rectsync::aggregator {
namespace {

using ::testing::HasSubstr;

TEST(ParseDateTest, KnownDays) {
  EXPECT_EQ(*ParseDate("1990-01-01"), 7305);
  EXPECT_EQ(*ParseDate("2000-02-29"), 11016);
  EXPECT_EQ(*ParseDate("2024-02-29"), 19782);
  EXPECT_EQ(*ParseDate("2199-12-31"), 84005);
}

TEST(ParseDateTest, LeapYears) {
  // 2024 and 2000 are leap years; 2023 and 2100 are not.
  EXPECT_EQ(*ParseDate("2024-03-01") - *ParseDate("2024-02-28"), 2);
  EXPECT_EQ(*ParseDate("2023-03-01") - *ParseDate("2023-02-28"), 1);
  EXPECT_TRUE(ParseDate("2000-02-29").ok());
  EXPECT_FALSE(ParseDate("2100-02-29").ok());
  EXPECT_FALSE(ParseDate("2023-02-29").ok());
  EXPECT_EQ(*ParseDate("2025-01-01") - *ParseDate("2024-01-01"), 366);
}

TEST(ParseDateTest, RoundTripsEveryDayInRange) {
  const int64_t first = *ParseDate("1990-01-01");
  const int64_t last = *ParseDate("2199-12-31");
  for (int64_t day = first; day <= last; ++day) {
    std::string text = FormatDate(day);
    absl::StatusOr<int64_t> back = ParseDate(text);
    ASSERT_TRUE(back.ok()) << text;
    ASSERT_EQ(*back, day) << text;
  }
}

TEST(ParseDateTest, FormatsLeapDays) {
  EXPECT_EQ(FormatDate(19782), "2024-02-29");
  EXPECT_EQ(FormatDate(11016), "2000-02-29");
  EXPECT_EQ(FormatDate(0), "1970-01-01");
}

TEST(ParseDateTest, RejectsInvalidDates) {
  const std::vector<std::string> bad = {
      "",           "2024-1-01",  "2024/01/01", "20240101",   "2024-01-1",  "2024-00-10",
      "2024-13-01", "2024-01-00", "2024-01-32", "2024-04-31", "2023-02-29", "1989-12-31",
      "2200-01-01", "2024-0a-01", "+024-01-01", "2024-01-01 ", " 2024-01-01",
  };
  for (const std::string& d : bad) {
    absl::StatusOr<int64_t> r = ParseDate(d, "problem_raised.deadline");
    ASSERT_FALSE(r.ok()) << d;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << d;
    EXPECT_THAT(r.status().message(), HasSubstr("problem_raised.deadline")) << d;
  }
}

TEST(DateOfMillisTest, UtcDayBoundaries) {
  EXPECT_EQ(DateOfMillis(0), "1970-01-01");
  EXPECT_EQ(DateOfMillis(86399999), "1970-01-01");
  EXPECT_EQ(DateOfMillis(86400000), "1970-01-02");
  EXPECT_EQ(DateOfMillis(-1), "1969-12-31");
  EXPECT_EQ(DateOfMillis(-86400000), "1969-12-31");
  EXPECT_EQ(DateOfMillis(1709251199000), "2024-02-29");
  EXPECT_EQ(DateOfMillis(1709251200000), "2024-03-01");
}

TEST(ValidatePeriodTest, AcceptsYearQuarterMonth) {
  for (const char* p : {"2024", "2024-Q1", "2024-Q4", "2024-01", "2024-12", "1990", "2199-Q2"}) {
    EXPECT_TRUE(ValidatePeriod(p).ok()) << p;
  }
}

TEST(ValidatePeriodTest, RejectsOthers) {
  for (const char* p : {"", "202", "20245", "1989", "2200", "2024-Q0", "2024-Q5", "2024-q1",
                        "2024-00", "2024-13", "2024-1", "2024-001", "2024/01", "2024-01-01",
                        "abcd", "2024-H1"}) {
    absl::Status s = ValidatePeriod(p, "figures_reported.period");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << p;
    EXPECT_THAT(s.message(), HasSubstr("figures_reported.period")) << p;
  }
}

}  // namespace
}  // namespace rectsync::aggregator
