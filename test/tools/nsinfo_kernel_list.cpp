// nsinfo --all against the kernel's own list of mount namespaces
// (NS_MNT_GET_NEXT): a mount namespace only the kernel shows — its fd in
// flight over a unix socket — is listed as held by something nsinfo cannot
// see, --why says so, and lsns (the oracle for what /proc shows) does not
// list it; unprivileged, the list is unknown with the reason.
#include "in_flight.hpp"
#include "ns_holder.hpp"
#include "strict_json.hpp"
#include "test_support.hpp"
#include "tool_runner.hpp"

#include <fcntl.h>
#include <sys/mount.h>

#include <algorithm>
#include <string>
#include <vector>

namespace t = nskit::test;
namespace json = boost::json;

namespace {

constexpr int exit_partial = 3;

t::tool_result nsinfo(const std::vector<std::string>& args) { return t::run_tool("nsinfo", args); }

// Complete (0), or partial (3, PID 1 may refuse even root) and saying so.
bool answered(const t::tool_result& r)
{
    return r.status == 0 || (r.status == exit_partial && r.err.find("partial result") != std::string::npos);
}

const json::object* row_of(const json::value& v, const char* key, std::uint64_t ino)
{
    for (const auto& r : v.at(key).as_array())
        if (r.as_object().contains("ns") && r.at("ns").is_number() && r.at("ns").to_number<std::uint64_t>() == ino)
            return &r.as_object();
    return nullptr;
}

std::size_t rows_of_type(const json::value& v, const char* type)
{
    const auto& rs = v.at("namespaces").as_array();
    return static_cast<std::size_t>(
        std::count_if(rs.begin(), rs.end(), [&](const json::value& r) { return r.at("type").as_string() == type; }));
}

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nsinfo_kernel_list)

BOOST_AUTO_TEST_CASE(in_flight_mount_namespace_is_held_by_something_unseen,
                     *boost::unit_test::precondition(t::privileged()))
{
    t::in_flight_mntns held;
    BOOST_TEST_REQUIRE(held.ok(), held.error());
    const std::string ino = std::to_string(held.inode);

    // --all: the row, and the count the kernel gives (the same before and after the run)
    int err = 0;
    std::vector<std::uint64_t> kernel;
    t::tool_result all;
    for (int attempt = 0; attempt < 5; ++attempt) {
        kernel = t::stable_kernel_mount_namespaces(err);
        BOOST_TEST_REQUIRE(err == 0, std::strerror(err));
        all = nsinfo({"--all", "-J", "-o", "NS,NSID,TYPE,NPROCS,PID,PATH,MOUNTS,HELD"});
        if (t::kernel_mount_namespaces(err) == kernel)
            break;
    }
    BOOST_TEST_REQUIRE(answered(all), all.err);
    const auto v = t::strict_json(all.out);
    const auto* r = row_of(v, "namespaces", held.inode);
    BOOST_TEST_REQUIRE(r != nullptr, "no row for the mount namespace in flight, " << ino);
    BOOST_TEST(r->at("type").as_string() == "mnt");
    BOOST_TEST(r->at("held").as_string() == "unseen");
    BOOST_TEST(r->at("nsid").to_number<std::uint64_t>() == held.id);
    BOOST_TEST(r->at("nprocs").to_number<int>() == 0);
    BOOST_TEST(r->at("pid").is_null());
    BOOST_TEST(r->at("mounts").is_number());
    const auto& k = v.at("kernel-mount-list").as_object();
    BOOST_TEST(k.at("status").as_string() == "checked");
    BOOST_TEST(k.at("unseen").to_number<std::size_t>() >= 1u);
    BOOST_TEST(k.at("listed").to_number<std::size_t>() == kernel.size());
    BOOST_TEST(rows_of_type(v, "mnt") == kernel.size()); // none missing, none made up

    // --why, by inode and by NSID: one reference, unseen, and it says so
    for (const std::string& spec : {ino, ":" + std::to_string(held.id)}) {
        const auto why = nsinfo({"--why", spec, "-J"});
        BOOST_TEST_REQUIRE(answered(why), why.err);
        const auto w = t::strict_json(why.out);
        const auto& refs = w.at("references").as_array();
        BOOST_TEST_REQUIRE(refs.size() == 1u, spec);
        BOOST_TEST(refs[0].at("kind").as_string() == "unseen");
        BOOST_TEST(why.err.find("held by something nsinfo cannot see") != std::string::npos, why.err);
    }
    const auto table = nsinfo({"--why", ino, "-n", "-o", "KIND"});
    BOOST_TEST(table.out == "unseen\n");

    // -P (no process in it) lists it; the tree shows it under its owner
    const auto persistent = nsinfo({"-P", "-t", "mnt", "-J", "-o", "NS,HELD"});
    BOOST_TEST_REQUIRE(answered(persistent), persistent.err);
    BOOST_TEST(row_of(t::strict_json(persistent.out), "namespaces", held.inode) != nullptr);

    // lsns — and nsinfo's lsns view — see only what /proc shows
    int status = -1;
    std::string lsns_out;
    for (int attempt = 0; attempt < 5 && status != 0; ++attempt) // lsns fails when a process exits under it
        lsns_out = t::run_program({"lsns", "-t", "mnt", "-J", "-o", "NS,TYPE"}, &status);
    BOOST_TEST_REQUIRE(status == 0);
    BOOST_TEST(row_of(json::parse(lsns_out), "namespaces", held.inode) == nullptr);
    const auto as_lsns = nsinfo({"--lsns", "-t", "mnt", "-J", "-o", "NS,TYPE"});
    BOOST_TEST_REQUIRE(as_lsns.status == 0, as_lsns.err);
    const auto lv = json::parse(as_lsns.out);
    BOOST_TEST(row_of(lv, "namespaces", held.inode) == nullptr);
    BOOST_TEST(!lv.as_object().contains("kernel-mount-list"));

    // Released, it is gone from the kernel's list and from nsinfo's
    held.release();
    BOOST_TEST(t::wait_until([&] {
        const auto again = nsinfo({"--all", "-t", "mnt", "-J", "-o", "NS"});
        return answered(again) && row_of(t::strict_json(again.out), "namespaces", held.inode) == nullptr;
    }));
}

// --why for a UTS namespace bind-mounted only in a mount namespace no
// process is in: the bind mount, with that mount namespace and the path.
BOOST_AUTO_TEST_CASE(bind_mount_in_an_unseen_mount_namespace, *boost::unit_test::precondition(t::privileged()))
{
    t::in_flight_mntns held(t::bind_a_uts_namespace_on_tmp);
    BOOST_TEST_REQUIRE(held.ok(), held.error());
    const auto why = nsinfo({"--why", std::to_string(held.uts_inode), "-J"});
    BOOST_TEST_REQUIRE(answered(why), why.err);
    const auto w = t::strict_json(why.out);
    const auto& refs = w.at("references").as_array();
    BOOST_TEST_REQUIRE(refs.size() == 1u);
    BOOST_TEST(refs[0].at("kind").as_string() == "bind_mount");
    BOOST_TEST(refs[0].at("mntns").to_number<std::uint64_t>() == held.inode);
    BOOST_TEST(refs[0].at("path").as_string() == "/tmp/uts");
    const auto all = nsinfo({"--all", "-t", "uts", "-J", "-o", "NS,HELD,NSID"});
    BOOST_TEST_REQUIRE(answered(all), all.err);
    const auto v = t::strict_json(all.out);
    const auto* r = row_of(v, "namespaces", held.uts_inode);
    BOOST_TEST_REQUIRE(r != nullptr);
    BOOST_TEST(r->at("held").as_string() == "bind_mount");
    BOOST_TEST(r->at("nsid").is_null());
    BOOST_TEST(std::string(r->at("unknown").at("nsid").as_string()).find("no process is in") != std::string::npos);
}

// Unprivileged the kernel refuses its list (EPERM): nsinfo says it could not
// check — JSON "kernel-mount-list" unknown with the reason, a gap, stderr —
// and the lsns view is untouched.
BOOST_AUTO_TEST_CASE(unprivileged_kernel_list_is_unknown_with_the_reason)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        int err = 0;
        t::kernel_mount_namespaces(err);
        NSKIT_EXPECT((err == EPERM || err == ENOTTY)); // the oracle; ENOTTY: before 6.12
        const auto r = nsinfo({"--all", "-J", "-o", "NS,TYPE"});
        NSKIT_EXPECT(r.status == exit_partial);
        const auto v = t::strict_json(r.out);
        const auto& k = v.at("kernel-mount-list").as_object();
        NSKIT_EXPECT(k.at("status").as_string() == "unknown");
        const std::string reason(k.at("reason").as_string());
        if (err == ENOTTY) {
            NSKIT_EXPECT(reason.find("kernel lacks NS_MNT_GET_NEXT") != std::string::npos);
            return std::string();
        }
        NSKIT_EXPECT(reason.find("operation not permitted") != std::string::npos);
        NSKIT_EXPECT(reason.find("CAP_SYS_ADMIN") != std::string::npos);
        NSKIT_EXPECT(v.at("partial").as_bool());
        const auto& missing = v.at("missing").as_array();
        NSKIT_EXPECT(std::any_of(missing.begin(), missing.end(), [&](const json::value& m) {
            return m.at("what").as_string() == "kernel_list" && m.at("reason").as_string() == reason;
        }));
        NSKIT_EXPECT(r.err.find("the kernel's list of mount namespaces could not be read (operation not permitted") !=
                     std::string::npos);
        // the lsns view neither walks nor says anything of it
        const auto l = nsinfo({"--lsns", "-J"});
        NSKIT_EXPECT(l.status == 0);
        NSKIT_EXPECT(!json::parse(l.out).as_object().contains("kernel-mount-list"));
        NSKIT_EXPECT(l.err.find("mount namespaces") == std::string::npos);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
