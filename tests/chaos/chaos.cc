#include "tests/chaos/chaos.h"

#include <signal.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "node/record/codec.h"
#include "node/record/keys.h"
#include "node/store/store.h"

namespace rectsync::testing {

double SecondsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

int EnvInt(const char* name, int otherwise) {
  const char* env = std::getenv(name);
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : otherwise;
}

void Model::Acknowledged(Ack a) {
  std::lock_guard<std::mutex> lock(mu_);
  acks_.push_back(std::move(a));
}

void Model::BadReply(const std::string& unit, const std::string& out) {
  std::lock_guard<std::mutex> lock(mu_);
  bad_replies_.push_back(absl::StrCat(unit, ": ", out));
}

std::vector<Ack> Model::acks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acks_;
}

std::vector<std::string> Model::bad_replies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bad_replies_;
}

namespace {

// The JSON line of an acknowledged write among the CLI's output (a wait
// message on stderr may come before it).
nlohmann::json ReplyOf(const std::string& out) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '{') return nlohmann::json::parse(line, nullptr, false);
  }
  return nlohmann::json::value_t::discarded;
}

void Officer(Cluster& c, const std::string& unit, int n, const std::atomic<bool>& stop, Model& model) {
  std::string problem, measure;
  for (uint64_t i = 1; !stop.load(); ++i) {
    std::string args;
    enum { kRaise, kMeasure, kProgress } kind;
    if (problem.empty() || i % 3 == 0) {
      kind = kRaise;
      args = absl::StrCat("--json problem raise --category 道路 --title w", n, "-", i);
    } else if (i % 3 == 1) {
      kind = kMeasure;
      args = absl::StrCat("--json measure add ", problem, " --text m", i);
    } else {
      kind = kProgress;
      args = absl::StrCat("--json progress ", problem, measure.empty() ? "" : " --measure " + measure,
                          " --note p", i, " --funds 1.25");
    }
    Ran r = c.Cli(unit, args, absl::StrCat("officer", n));
    if (r.code != 0) {
      model.Refused();
      continue;
    }
    nlohmann::json reply = ReplyOf(r.out);
    if (reply.is_discarded() || !reply.contains("seq") || !reply.contains("record_id") ||
        !reply.contains("subject")) {
      model.BadReply(unit, r.out);
      continue;
    }
    model.Acknowledged({unit, reply["seq"].get<uint64_t>(), reply["record_id"].get<std::string>()});
    if (kind == kRaise) {
      problem = reply["subject"].get<std::string>();
      measure.clear();
    } else if (kind == kMeasure) {
      measure = reply["subject"].get<std::string>();
    }
  }
}

// The counters a summary answers with, for comparing two nodes' views.
std::string Counts(const v1::Summary& s) {
  std::string out = absl::StrCat("problems ", s.problems(), ", measures ", s.measures(), " (",
                                 s.measures_done(), " done), violations ", s.violations(), ",");
  for (const auto& [status, n] : std::map<std::string, int64_t>(s.by_status().begin(), s.by_status().end())) {
    absl::StrAppend(&out, " ", status, " ", n);
  }
  return out;
}

// The ids of `origin`'s seqs in `store`, which must be 1..head each once:
// "" or the first gap.
std::string Chain(const store::Store& store, const std::string& origin, uint64_t head,
                  std::map<uint64_t, std::string>* ids) {
  uint64_t want = 1;
  std::string gap;
  absl::Status s = store.ScanOrigin(origin, 1, [&](uint64_t seq, const v1::Record& env) {
    if (seq != want) {
      gap = absl::StrCat(origin, ": seq ", seq, " where ", want, " was due");
      return false;
    }
    (*ids)[seq] = record::ToHex(record::RecordId(env));
    ++want;
    return true;
  });
  if (!s.ok()) return std::string(s.message());
  if (gap.empty() && want != head + 1) gap = absl::StrCat(origin, ": seqs end at ", want - 1, ", head is ", head);
  return gap;
}

}  // namespace

Officers::Officers(Cluster& c, const std::vector<std::string>& units, Model& model) {
  for (size_t i = 0; i < units.size(); ++i) {
    threads_.emplace_back(Officer, std::ref(c), units[i], static_cast<int>(i + 1), std::cref(stop_),
                          std::ref(model));
  }
}

void Officers::Stop() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::map<std::string, uint64_t> OwnHeads(Cluster& c, const std::vector<std::string>& units) {
  std::map<std::string, uint64_t> heads;
  for (const std::string& u : units) heads[u] = HeadAt(*c.Client(u), u);
  return heads;
}

bool CityHolds(Cluster& c, const std::map<std::string, uint64_t>& heads, int timeout_ms,
               std::string* behind) {
  std::unique_ptr<cli::NodeClient> city = c.Client(kCity);
  return WaitFor([&] {
    for (const auto& [u, seq] : heads) {
      const uint64_t above = HeadAt(*city, u);
      if (above < seq) {
        *behind = absl::StrCat(u, " at ", seq, ", the city holds ", above);
        return false;
      }
    }
    return true;
  }, timeout_ms);
}

Tally CheckEnd(Cluster& c, const std::vector<std::string>& units, const std::vector<std::string>& writers,
               const Model& model) {
  Tally tally;
  const std::vector<Ack> acks = model.acks();
  const std::vector<std::string> bad = model.bad_replies();
  EXPECT_TRUE(bad.empty()) << "acknowledged without a valid reply: " << bad[0];
  {
    std::unique_ptr<cli::NodeClient> city = c.Client(kCity);
    for (const std::string& u : units) {
      std::unique_ptr<cli::NodeClient> at = u == kCity ? nullptr : c.Client(u);
      v1::VerifyReply v = Verify(at ? *at : *city);
      EXPECT_TRUE(v.ok()) << u << ": verify: " << v.first_bad_origin() << "#" << v.first_bad_seq() << " "
                          << v.reason();
      if (at) EXPECT_EQ(Counts(Summary(*city, u)), Counts(Summary(*at, u))) << "the city's summary of " << u;
    }
  }
  for (const std::string& u : units) c.Kill(u, SIGTERM);
  std::unique_ptr<node::Node> city = c.OpenNode(kCity);
  std::set<std::pair<std::string, uint64_t>> seen;
  for (const std::string& u : writers) {
    std::unique_ptr<node::Node> own = c.OpenNode(u);
    absl::StatusOr<store::Head> head = own->store()->GetHead(u);
    EXPECT_TRUE(head.ok()) << head.status();
    if (!head.ok()) continue;
    std::map<uint64_t, std::string> at_node, at_city;
    EXPECT_EQ(Chain(*own->store(), u, head->seq, &at_node), "") << "at its node";
    EXPECT_EQ(Chain(*city->store(), u, head->seq, &at_city), "") << "at the city";
    // A record held twice would show as one id at two seqs.
    for (const auto* held : {&at_node, &at_city}) {
      std::set<std::string> distinct;
      for (const auto& [seq, id] : *held) distinct.insert(id);
      tally.duplicated += held->size() - distinct.size();
    }
    for (const Ack& a : acks) {
      if (a.unit != u) continue;
      ++tally.checked;
      tally.duplicated += !seen.emplace(a.unit, a.seq).second;
      const bool here = at_node.count(a.seq) && at_node[a.seq] == a.id;
      const bool above = at_city.count(a.seq) && at_city[a.seq] == a.id;
      if (here && above) continue;
      ++tally.lost;
      ADD_FAILURE() << u << "#" << a.seq << " acknowledged as " << a.id << ": at its node "
                    << (at_node.count(a.seq) ? at_node[a.seq] : "missing") << ", at the city "
                    << (at_city.count(a.seq) ? at_city[a.seq] : "missing");
    }
  }
  std::map<std::string, size_t> acks_at;
  for (const Ack& a : acks) ++acks_at[a.unit];
  for (const std::string& u : writers) EXPECT_GT(acks_at[u], 0u) << "no write acknowledged on " << u;
  EXPECT_EQ(tally.lost, 0u);
  EXPECT_EQ(tally.duplicated, 0u);
  return tally;
}

}  // namespace rectsync::testing
