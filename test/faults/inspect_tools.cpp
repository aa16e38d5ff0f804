// nsinfo and nscmp with each system call they make failing, one at a time
// (issue "trust", "make the class impossible"): what could not be read is
// reported (null with its reason under "unknown" or "...-unknown", or
// "partial") or the exit status is nonzero, never a shorter answer that
// looks whole.  The fault-free run is the reference for what a whole
// answer holds.
#include "fault_harness.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace t = nskit::test;
namespace f = nskit::test::faults;
namespace json = boost::json;

namespace {

bool has_reason(const json::object& row, const std::string& key)
{
    if (const auto* u = row.if_contains("unknown"); u && u->is_object() && u->as_object().contains(key))
        return true;
    // nscmp's rows: "result": "unknown" with the reason under "detail"
    const auto* result = row.if_contains("result");
    const auto* detail = row.if_contains("detail");
    if (result && *result == "unknown" && detail && detail->is_string() && !detail->as_string().empty())
        return true;
    const auto* r = row.if_contains(key + "-unknown");
    return r != nullptr && !r->is_null();
}

// Rows keyed by namespace id where they have one ("ns"), by position otherwise.
const json::value* matching_row(const json::array& got, const json::value& want, std::size_t i)
{
    const auto* id = want.is_object() ? want.as_object().if_contains("ns") : nullptr;
    if (id == nullptr)
        return i < got.size() ? &got[i] : nullptr;
    for (const auto& g : got)
        if (g.is_object())
            if (const auto* gid = g.as_object().if_contains("ns"); gid && *gid == *id)
                return &g;
    return nullptr;
}

// What `got` leaves out of `want` without saying so: a key, a row, a value
// turned null without a reason.  Values may differ (counts change).
void omissions(const json::value& want, const json::value& got, const std::string& path,
               std::vector<std::string>& out)
{
    if (want.is_object()) {
        if (!got.is_object()) {
            out.push_back(path + " is no longer an object");
            return;
        }
        const auto& g = got.as_object();
        for (const auto& [k, v] : want.as_object()) {
            const std::string key(k);
            const auto* gv = g.if_contains(k);
            if (gv == nullptr)
                out.push_back("key " + path + "." + key + " missing");
            else if (gv->is_null() && !v.is_null() && !has_reason(g, key))
                out.push_back(path + "." + key + " null without a reason");
            else if (!gv->is_null())
                omissions(v, *gv, path + "." + key, out);
        }
    } else if (want.is_array()) {
        if (!got.is_array()) {
            out.push_back(path + " is no longer an array");
            return;
        }
        const auto& w = want.as_array();
        for (std::size_t i = 0; i < w.size(); ++i) {
            const auto* g = matching_row(got.as_array(), w[i], i);
            if (g == nullptr)
                out.push_back("row " + path + "[" + std::to_string(i) + "] missing (" + json::serialize(w[i]).substr(0, 80) +
                              ")");
            else
                omissions(w[i], *g, path + "[" + std::to_string(i) + "]", out);
        }
    }
}

// Only the rows of `a` also in `b` (by "ns"): what two fault-free runs of
// a whole-machine view agree on.
json::value common_rows(json::value a, const json::value& b)
{
    auto* rows = a.is_object() ? a.as_object().if_contains("namespaces") : nullptr;
    const auto* other = b.is_object() ? b.as_object().if_contains("namespaces") : nullptr;
    if (rows == nullptr || other == nullptr || !rows->is_array() || !other->is_array())
        return a;
    json::array kept;
    for (const auto& r : rows->as_array())
        if (matching_row(other->as_array(), r, 0) != nullptr)
            kept.push_back(r);
    *rows = std::move(kept);
    return a;
}

// A gap said to concern "pid 0": a /proc listing cut short, named as if a process.
bool names_pid_0(const json::value& got, const std::string& err)
{
    if (err.find(", pid 0)") != std::string::npos)
        return true;
    const auto* m = got.is_object() ? got.as_object().if_contains("missing") : nullptr;
    if (m && m->is_array())
        for (const auto& g : m->as_array())
            if (const auto* p = g.is_object() ? g.as_object().if_contains("first-pid") : nullptr)
                if (p->is_int64() && p->as_int64() == 0)
                    return true;
    return false;
}

// The gaps ("missing") a partial answer names are those of `a`.
bool same_gaps(const json::value& a, const json::value& b)
{
    const auto* ma = a.is_object() ? a.as_object().if_contains("missing") : nullptr;
    const auto* mb = b.is_object() ? b.as_object().if_contains("missing") : nullptr;
    return ma && mb && *ma == *mb;
}

std::string joined(const std::vector<std::string>& v)
{
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : "; ") + x;
    return s;
}

json::value parsed(const std::string& text, std::string& error)
{
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec)
        error = "output is not JSON (" + ec.message() + ")";
    return v;
}

struct tally {
    unsigned sites = 0, runs = 0, injected = 0, nonzero = 0, complete = 0;
    std::set<long> syscalls;
};

// Count, then fail each call `tool args` makes.  `whole_machine`: the
// reference is what the fault-free runs before and after agree on.
tally inject_all(const std::string& tool, const std::vector<std::string>& args, bool whole_machine)
{
    tally t;
    const auto clean = f::run_traced(tool, args);
    BOOST_TEST_REQUIRE(clean.error.empty(), clean.error);
    std::string perr;
    const auto reference = parsed(clean.result.out, perr);
    BOOST_TEST_REQUIRE(perr.empty(), "fault-free run: " << perr << ": " << clean.result.out.substr(0, 200));
    const int clean_status = clean.result.status;
    BOOST_TEST_REQUIRE((clean_status == 0 || clean_status == 1 || clean_status == 3),
                       "fault-free run: " << clean_status << " " << clean.result.err);
    std::set<f::site> sites;
    for (const auto& [fault, count] : f::plan_faults(clean.calls, !whole_machine, f::injected_errors)) {
        sites.insert(fault.at);
        t.syscalls.insert(fault.at.nr);
        const auto before = f::snapshot();
        json::value want = reference;
        if (whole_machine) {
            std::string e;
            want = parsed(f::run_traced(tool, args).result.out, e);
        }
        const auto r = f::run_traced(tool, args, fault);
        if (whole_machine) {
            std::string e;
            want = common_rows(std::move(want), parsed(f::run_traced(tool, args).result.out, e));
        }
        ++t.runs;
        std::vector<std::string> wrong;
        if (!r.error.empty())
            wrong.push_back("harness: " + r.error);
        const int s = r.result.status;
        // nsinfo: 0 whole, 3 partial (said in the JSON), 1-2 errors;
        // nscmp: 0 same, 1 differs (both whole answers), 2 trouble.
        const bool answer = s == 0 || (tool == "nscmp" ? s == 1 : s == 3);
        if (answer) {
            std::string e;
            const auto got = parsed(r.result.out, e);
            const auto* partial = got.is_object() ? got.as_object().if_contains("partial") : nullptr;
            if (!e.empty())
                wrong.push_back(e);
            else if (s == 3 && !(partial && partial->is_bool() && partial->as_bool()))
                wrong.push_back("exit 3 but the JSON does not say \"partial\": true");
            else if (s == 3 && names_pid_0(got, r.result.err))
                wrong.push_back("a gap names pid 0 (no such process: the listing itself)");
            else if (s != 3 || same_gaps(reference, got))
                omissions(want, got, "", wrong); // partial already, and no new gap named
            if (r.injected)
                ++t.complete;
        } else if (s >= 1 && s <= 3) {
            if (r.result.err.empty())
                wrong.push_back("exit " + std::to_string(s) + " without a message");
            if (r.injected)
                ++t.nonzero;
        } else {
            wrong.push_back("exit status " + std::to_string(s) + " (a crash or a signal)");
        }
        for (const auto& l : f::left_behind(before))
            wrong.push_back("left behind: " + l);
        if (r.injected)
            ++t.injected;
        if (std::getenv("NSKIT_FAULTS_VERBOSE"))
            std::cout << "  " << tool << " " << f::describe(fault) << " (of " << count << "): status " << s
                      << ": " << r.result.err.substr(0, 200) << (r.result.err.empty() ? "\n" : "");
        BOOST_TEST(wrong.empty(), tool << " " << f::describe(fault) << " (of " << count
                                       << "): " << joined(wrong) << " [status " << s << ", stderr \""
                                       << r.result.err.substr(0, 300) << "\"]");
    }
    t.sites = static_cast<unsigned>(sites.size());
    return t;
}

void report(const std::string& what, const tally& t)
{
    std::cout << "faults: " << what << ": " << t.syscalls.size() << " system calls at " << t.sites << " sites, "
              << t.runs << " runs, " << t.injected << " injected (" << t.nonzero << " exit nonzero, " << t.complete
              << " answered in full or with the gap marked)" << std::endl;
}

} // namespace

BOOST_AUTO_TEST_SUITE(faults_inspect_tools)

BOOST_AUTO_TEST_CASE(nsinfo_pid_each_call_failing)
{
    t::sleeper target;
    BOOST_TEST_REQUIRE(target.pid > 0);
    report("nsinfo -J PID", inject_all("nsinfo", {"-J", std::to_string(target.pid)}, false));
}

BOOST_AUTO_TEST_CASE(nscmp_each_call_failing)
{
    t::sleeper a, b;
    BOOST_TEST_REQUIRE((a.pid > 0 && b.pid > 0));
    report("nscmp -J A B", inject_all("nscmp", {"-J", std::to_string(a.pid), std::to_string(b.pid)}, false));
}

BOOST_AUTO_TEST_CASE(nsinfo_all_each_call_failing)
{
    report("nsinfo --all -J", inject_all("nsinfo", {"--all", "-J"}, true));
}

BOOST_AUTO_TEST_SUITE_END()
