// Tests of trust (DESIGN §5): enrolment chains from the root key, subtree
// rules, enrolled keys and validity windows, bundles.
#include "node/record/trust.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/record/test_chain.h"

namespace rectsync::record {
namespace {

using ::testing::HasSubstr;
using namespace ::rectsync::record::testing;  // NOLINT: test helpers

// Root (city) enrols itself and the county; the county enrols a township.
class TrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    root_self_ = city_.Next(EnrolBody(kCity, v1::LEVEL_CITY, root_key_.public_key(), kT0),
                            Stamp(kT0));
    root_enrols_county_ = city_.Next(
        EnrolBody(kCounty, v1::LEVEL_COUNTY, county_key_.public_key(), kT0 + 1), Stamp(kT0 + 1));
    county_enrols_town_ = county_.Next(
        EnrolBody(kTown, v1::LEVEL_TOWNSHIP, town_key_.public_key(), kT0 + 2), Stamp(kT0 + 2));
  }

  v1::EnrollmentBundle Bundle(std::vector<v1::Record> chain) const {
    v1::EnrollmentBundle b;
    b.set_root_public_key(root_key_.public_key());
    for (auto& r : chain) *b.add_chain() = std::move(r);
    return b;
  }
  v1::EnrollmentBundle GoodBundle() const {
    return Bundle({root_self_, root_enrols_county_, county_enrols_town_});
  }
  // Admits `records` in order into a fresh store; fails the test on error.
  TrustStore Admitted(const std::vector<v1::Record>& records) const {
    TrustStore trust(root_key_.public_key());
    for (const v1::Record& env : records) {
      absl::Status s = trust.Admit(env, OpenOrDie(env));
      EXPECT_TRUE(s.ok()) << s;
    }
    return trust;
  }

  KeyPair root_key_ = KeyPair::Generate();
  KeyPair county_key_ = KeyPair::Generate();
  KeyPair town_key_ = KeyPair::Generate();
  KeyPair stranger_key_ = KeyPair::Generate();
  Chain city_{kCity, &root_key_};
  Chain county_{kCounty, &county_key_};
  Chain town_{kTown, &town_key_};
  v1::Record root_self_, root_enrols_county_, county_enrols_town_;
};

TEST_F(TrustTest, ValidChainFromTheRootAdmits) {
  absl::StatusOr<TrustStore> trust = CheckBundle(GoodBundle(), town_key_.public_key());
  ASSERT_TRUE(trust.ok()) << trust.status();
  const Enrolment* town = trust->Find(kTown);
  ASSERT_NE(town, nullptr);
  EXPECT_EQ(town->public_key, town_key_.public_key());
  EXPECT_EQ(town->enroller, kCounty);
  EXPECT_EQ(town->level, v1::LEVEL_TOWNSHIP);
  EXPECT_EQ(town->record_id, RecordId(county_enrols_town_));
  ASSERT_NE(trust->Find(kCounty), nullptr);
  EXPECT_EQ(trust->Find(kCounty)->enroller, kCity);
  EXPECT_EQ(trust->Find(kOtherCounty), nullptr);

  // A township record signed with the township's key is trusted.
  v1::Record env = town_.Next(RaiseBody(kTown, "P1"), Stamp(kT0 + 10));
  EXPECT_TRUE(trust->CheckSignature(env, OpenOrDie(env)).ok());
  // No expected key: the chain alone is checked.
  EXPECT_TRUE(CheckBundle(GoodBundle(), "").ok());
}

TEST_F(TrustTest, AdmittingTheSameEnrolmentTwiceIsANoOp) {
  TrustStore trust = Admitted({root_self_, root_enrols_county_, county_enrols_town_});
  EXPECT_TRUE(trust.Admit(county_enrols_town_, OpenOrDie(county_enrols_town_)).ok());
  EXPECT_EQ(trust.all().at(kTown).size(), 1u);
  EXPECT_EQ(trust.all().size(), 3u);
}

TEST_F(TrustTest, WrongRootKeyIsRefused) {
  v1::EnrollmentBundle b = GoodBundle();
  b.set_root_public_key(stranger_key_.public_key());
  absl::Status s = CheckBundle(b, town_key_.public_key()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("entry 1"));
  EXPECT_THAT(s.message(), HasSubstr("not signed by the configured root key"));

  b.set_root_public_key("short");
  s = CheckBundle(b, "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("root_public_key must be 32 bytes"));

  s = CheckBundle(Bundle({}), "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("chain is empty"));
}

TEST_F(TrustTest, ForgedSelfEnrolmentIsRefused) {
  // The stranger claims the county by enrolling it under its own key.
  Chain forger(kCounty, &stranger_key_);
  v1::Record self = forger.Next(
      EnrolBody(kCounty, v1::LEVEL_COUNTY, stranger_key_.public_key(), kT0), Stamp(kT0));
  TrustStore trust = Admitted({root_self_});
  absl::Status s = trust.Admit(self, OpenOrDie(self));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("self-enrolment of \"3201/320115\""));
  EXPECT_EQ(trust.Find(kCounty), nullptr);
}

TEST_F(TrustTest, ChildOutsideEnrollersSubtreeIsRefused) {
  // "3201/3201159" shares a string prefix with the county but is not below it.
  for (const std::string& outside : {kOtherCounty + "/320116001", std::string("3201/3201159"),
                                     kCity}) {
    SCOPED_TRACE(outside);
    Chain county(kCounty, &county_key_);
    v1::Record bad = county.Next(
        EnrolBody(outside, v1::LEVEL_TOWNSHIP, town_key_.public_key(), kT0 + 2), Stamp(kT0 + 2));
    // In a bundle, the record does not even open: its shape is invalid.
    absl::Status s = CheckBundle(Bundle({root_self_, root_enrols_county_, bad}), "").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("unit_enrolled.unit"));
    EXPECT_THAT(s.message(), HasSubstr("is not in the subtree of \"3201/320115\""));

    // The trust store refuses it on its own, too, if handed it unvalidated.
    TrustStore trust = Admitted({root_self_, root_enrols_county_});
    DecodedRecord r;
    ASSERT_TRUE(r.body.ParseFromString(bad.body()));
    r.id = RecordId(bad);
    const size_t held_before = trust.all().count(outside) ? trust.all().at(outside).size() : 0;
    s = trust.Admit(bad, r);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(s.message(), HasSubstr("\"3201/320115\" may not enrol"));
    EXPECT_THAT(s.message(), HasSubstr("outside its subtree"));
    EXPECT_EQ(trust.all().count(outside) ? trust.all().at(outside).size() : 0, held_before);
  }
}

TEST_F(TrustTest, EnrolmentByAnUnenrolledOriginIsRefused) {
  absl::Status s = CheckBundle(Bundle({root_self_, county_enrols_town_}), "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("entry 2"));
  EXPECT_THAT(s.message(), HasSubstr("origin \"3201/320115\" is not enrolled"));
}

TEST_F(TrustTest, RecordSignedByAKeyNotEnrolledForItsOriginIsRefused) {
  TrustStore trust = Admitted({root_self_, root_enrols_county_, county_enrols_town_});
  // A township record signed with the county's key (enrolled, but for another unit).
  v1::Record env = town_.Next(RaiseBody(kTown, "P1"), Stamp(kT0 + 10), &county_key_);
  absl::Status s = trust.CheckSignature(env, OpenOrDie(env));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(s.message(), HasSubstr("3201/320115/320115003#1"));
  EXPECT_THAT(s.message(), HasSubstr("signature does not verify under the enrolled key"));

  // An origin nobody enrolled.
  Chain other(kOtherCounty, &stranger_key_);
  v1::Record stray = other.Next(RaiseBody(kOtherCounty, "P1"), Stamp(kT0 + 10));
  s = trust.CheckSignature(stray, OpenOrDie(stray));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("\"3201/320116\" is not enrolled"));

  // In a bundle: the county's enrolment of the town signed by the town's key.
  Chain county(kCounty, &county_key_);
  v1::Record forged =
      county.Next(EnrolBody(kTown, v1::LEVEL_TOWNSHIP, town_key_.public_key(), kT0 + 2),
                  Stamp(kT0 + 2), &town_key_);
  s = CheckBundle(Bundle({root_self_, root_enrols_county_, forged}), "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(s.message(), HasSubstr("entry 3"));
  EXPECT_THAT(s.message(), HasSubstr("signature does not verify"));
}

TEST_F(TrustTest, RecordOutsideTheEnrolmentWindowIsRefused) {
  const int64_t from = kT0 + 1000, until = kT0 + 2000;
  Chain city(kCity, &root_key_);
  v1::Record self = city.Next(EnrolBody(kCity, v1::LEVEL_CITY, root_key_.public_key(), kT0),
                              Stamp(kT0));
  v1::Record windowed = city.Next(
      EnrolBody(kCounty, v1::LEVEL_COUNTY, county_key_.public_key(), from, until), Stamp(kT0 + 1));
  TrustStore trust = Admitted({self, windowed});

  struct Case {
    int64_t ms;
    bool ok;
  };
  for (const Case& c : {Case{from - 1, false}, Case{from, true}, Case{from + 500, true},
                        Case{until - 1, true}, Case{until, false}, Case{until + 60000, false}}) {
    SCOPED_TRACE(c.ms - kT0);
    Chain county(kCounty, &county_key_);
    v1::Record env = county.Next(RaiseBody(kCounty, "P1"), Stamp(c.ms, 7));
    absl::Status s = trust.CheckSignature(env, OpenOrDie(env));
    if (c.ok) {
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
      EXPECT_THAT(s.message(), HasSubstr("no enrolment of \"3201/320115\" is valid at its time"));
    }
  }

  // In a bundle: the county enrols the town after its own enrolment expired.
  Chain county(kCounty, &county_key_);
  v1::Record late = county.Next(
      EnrolBody(kTown, v1::LEVEL_TOWNSHIP, town_key_.public_key(), until + 5), Stamp(until + 5));
  absl::Status s = CheckBundle(Bundle({self, windowed, late}), town_key_.public_key()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("entry 3"));
  EXPECT_THAT(s.message(), HasSubstr("is valid at its time"));
}

TEST_F(TrustTest, BundleWhoseLastEnrolmentNamesAnotherKeyIsRefused) {
  absl::Status s = CheckBundle(GoodBundle(), county_key_.public_key()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("enrols a different key than this node's key file"));
  s = CheckBundle(GoodBundle(), stranger_key_.public_key()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace rectsync::record
