// What a spawned program gets: its path (looked up like execvp), argv and
// the environment (the caller's, or none, with spawn_options::env over it),
// made before the clone: the child cannot allocate.
#include "run_internal.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

extern char** environ;

namespace nskit::ns {

std::string find_program(const std::string& program, std::error_code& ec)
{
    ec.clear();
    if (program.empty()) {
        ec = std::make_error_code(std::errc::no_such_file_or_directory);
        return {};
    }
    if (program.find('/') != std::string::npos)
        return program;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    int first_err = ENOENT;
    while (true) {
        const auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + program;
        if (::access(cand.c_str(), X_OK) == 0) {
            struct stat st{};
            if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode))
                return cand;
        } else if (errno == EACCES) {
            first_err = EACCES;
        }
        if (colon == std::string_view::npos)
            break;
        dirs.remove_prefix(colon + 1);
    }
    ec = std::error_code(first_err, std::system_category());
    return {};
}

namespace detail::run_impl {

namespace {

std::vector<char*> pointers(std::vector<std::string>& v)
{
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (auto& s : v)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

bool edited(const env_options& env) noexcept { return env.clear || !env.keep.empty() || !env.edits.empty(); }

// The caller's environment (when inherited) edited by `edits`, without the
// names so.env sets, then so.env.
std::vector<std::string> environment(const env_options& edits, const spawn_options& so, std::error_code& ec)
{
    std::vector<std::string> env;
    if (edited(edits))
        env = ns::make_environment(edits, so.inherit_env ? environ : nullptr, ec);
    else if (so.inherit_env)
        for (char** e = environ; e && *e; ++e)
            env.emplace_back(*e);
    for (const auto& x : so.env) {
        const auto key = std::string_view(x).substr(0, x.find('=') + 1);
        std::erase_if(env, [&](const std::string& e) { return std::string_view(e).substr(0, key.size()) == key; });
    }
    env.insert(env.end(), so.env.begin(), so.env.end());
    return env;
}

} // namespace

std::error_code make_image(const std::string& program, const std::vector<std::string>& args,
                           const env_options& env, const spawn_options& so, program_image& img)
{
    std::error_code ec;
    img.path = so.search_path ? find_program(program, ec) : program;
    if (ec)
        return make_setup_error(setup_step::exec, ec.value());
    img.argv_s.push_back(program);
    img.argv_s.insert(img.argv_s.end(), args.begin(), args.end());
    img.argv = pointers(img.argv_s);
    img.env_s = environment(env, so, ec);
    if (ec)
        return make_setup_error(setup_step::validate, EINVAL);
    img.envp = pointers(img.env_s);
    return {};
}

std::error_code make_environment(const env_options& env, program_image& img)
{
    if (!edited(env))
        return {};
    std::error_code ec;
    img.env_s = ns::make_environment(env, environ, ec);
    if (ec)
        return make_setup_error(setup_step::validate, EINVAL);
    img.envp = pointers(img.env_s);
    return {};
}

} // namespace detail::run_impl

} // namespace nskit::ns
