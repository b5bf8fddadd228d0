#include "aggregator/unit_id.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rectsync::aggregator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ValidateUnitIdTest, AcceptsRealisticIds) {
  for (const char* id : {"3201", "3201/320115", "3201/320115/320115003",
                         "3201/320115/320115003/320115003012", "3201/320115/kjj",
                         "a", "dept_1-x"}) {
    EXPECT_TRUE(ValidateUnitId(id).ok()) << id;
  }
}

TEST(ValidateUnitIdTest, AcceptsLimits) {
  // Eight segments, a 32-character segment, exactly 200 characters.
  EXPECT_TRUE(ValidateUnitId("1/2/3/4/5/6/7/8").ok());
  EXPECT_TRUE(ValidateUnitId(std::string(32, 'a')).ok());
  std::string two_hundred;
  for (int i = 0; i < 6; ++i) absl::StrAppend(&two_hundred, std::string(32, 'a'), "/");
  two_hundred += std::string(200 - two_hundred.size(), 'b');
  ASSERT_EQ(two_hundred.size(), 200u);
  EXPECT_TRUE(ValidateUnitId(two_hundred).ok());
}

TEST(ValidateUnitIdTest, RejectsMalformedIds) {
  const std::vector<std::string> bad = {
      "",                          // empty
      "/3201",                     // leading slash
      "3201/",                     // trailing slash
      "3201//320115",              // empty segment
      "3201/ABC",                  // upper case
      "3201/32 01",                // space
      "3201:x",                    // colon
      "3201.5",                    // dot
      "区划",                       // non-ASCII
      std::string(33, 'a'),        // segment too long
      "1/2/3/4/5/6/7/8/9",         // nine levels
  };
  for (const std::string& id : bad) {
    absl::Status s = ValidateUnitId(id, "problem_raised.unit");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(s.message(), HasSubstr("problem_raised.unit")) << id;
  }
  // 201 characters in segments that are each short enough.
  std::string too_long;
  for (int i = 0; i < 6; ++i) absl::StrAppend(&too_long, std::string(28, 'a'), "/");
  too_long += std::string(201 - too_long.size(), 'b');
  ASSERT_EQ(too_long.size(), 201u);
  EXPECT_EQ(ValidateUnitId(too_long).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SubtreeTest, InSubtreeMatchesWholeSegmentsOnly) {
  EXPECT_TRUE(InSubtree("3201", "3201"));
  EXPECT_TRUE(InSubtree("3201/320", "3201"));
  EXPECT_TRUE(InSubtree("3201/320/32", "3201/320"));
  EXPECT_FALSE(InSubtree("3201/320", "3201/32"));  // prefix of a segment, not a segment
  EXPECT_FALSE(InSubtree("3201/32", "3201/320"));
  EXPECT_FALSE(InSubtree("32011", "3201"));
  EXPECT_FALSE(InSubtree("3201-x", "3201"));
  EXPECT_FALSE(InSubtree("3201", "3201/320"));     // ancestors are not in the subtree
  EXPECT_FALSE(InSubtree("3202/320", "3201"));
}

TEST(SubtreeTest, StrictlyBelowExcludesSelf) {
  EXPECT_FALSE(StrictlyBelow("3201", "3201"));
  EXPECT_TRUE(StrictlyBelow("3201/32", "3201"));
  EXPECT_TRUE(StrictlyBelow("3201/320/x", "3201"));
  EXPECT_FALSE(StrictlyBelow("3201/320", "3201/32"));
  EXPECT_FALSE(StrictlyBelow("3201/32", "3201/320"));
  EXPECT_FALSE(StrictlyBelow("3201", "3201/32"));
}

TEST(UnitPathTest, DepthAndParent) {
  EXPECT_EQ(UnitDepth(""), 0);
  EXPECT_EQ(UnitDepth("3201"), 1);
  EXPECT_EQ(UnitDepth("3201/320115/320115003/320115003012"), 4);
  EXPECT_EQ(ParentUnit("3201"), "");
  EXPECT_EQ(ParentUnit("3201/320115"), "3201");
  EXPECT_EQ(ParentUnit("3201/320115/kjj"), "3201/320115");
}

TEST(UnitPathTest, SelfAndAncestorsSelfFirstRootLast) {
  EXPECT_THAT(SelfAndAncestors("3201/320115/320115003"),
              ElementsAre("3201/320115/320115003", "3201/320115", "3201"));
  EXPECT_THAT(SelfAndAncestors("3201"), ElementsAre("3201"));
  EXPECT_TRUE(SelfAndAncestors("").empty());
}

TEST(UnitPathTest, ChildToward) {
  EXPECT_EQ(ChildToward("3201/320115/320115003/320115003012", "3201"), "3201/320115");
  EXPECT_EQ(ChildToward("3201/320115/320115003/320115003012", "3201/320115"),
            "3201/320115/320115003");
  EXPECT_EQ(ChildToward("3201/320115", "3201"), "3201/320115");
}

TEST(LocalIdTest, AcceptsUnitColonLocal) {
  EXPECT_TRUE(ValidateLocalId("3201/320115:p-1", "problem_id").ok());
  EXPECT_TRUE(ValidateLocalId("3201:Abc.9_x", "problem_id").ok());
  EXPECT_TRUE(ValidateLocalId(absl::StrCat("3201:", std::string(40, 'x')), "problem_id").ok());
}

TEST(LocalIdTest, RejectsMalformedIds) {
  const std::vector<std::string> bad = {
      "3201",                                         // no colon
      "3201:",                                        // empty local
      ":p1",                                          // empty unit
      "3201/:p1",                                     // bad unit
      "3201:p 1",                                     // space in local
      "3201:p/1",                                     // slash in local
      absl::StrCat("3201:", std::string(41, 'x')),    // local too long
  };
  for (const std::string& id : bad) {
    absl::Status s = ValidateLocalId(id, "measure_added.measure_id");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(s.message(), HasSubstr("measure_added.measure_id")) << id;
  }
}

TEST(LocalIdTest, IdOrigin) {
  EXPECT_EQ(IdOrigin("3201/320115:p1"), "3201/320115");
  EXPECT_EQ(IdOrigin("no-colon"), "");
  EXPECT_EQ(IdOrigin(":x"), "");
}

}  // namespace
}  // namespace rectsync::aggregator
