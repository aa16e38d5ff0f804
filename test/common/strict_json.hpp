// test/common/strict_json.hpp — the strictest reading of a tool's JSON:
// valid UTF-8 (Boost.JSON's parser checks every byte), one document and
// nothing after it but a newline, no duplicate key in any object, no
// comments or trailing commas.  Header-only.
#pragma once

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <set>
#include <string>
#include <vector>

namespace nskit::test {

namespace strict_detail {

struct handler {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    std::vector<std::set<std::string>> keys; // one set per open object
    std::string key;
    std::string duplicate;

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code&)
    {
        keys.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, boost::system::error_code&)
    {
        keys.pop_back();
        return true;
    }
    bool on_array_begin(boost::system::error_code&) { return true; }
    bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&)
    {
        key.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec)
    {
        key.append(s.data(), s.size());
        if (!keys.back().insert(key).second) {
            duplicate = key;
            ec = boost::json::error::syntax; // stop the parser
            return false;
        }
        key.clear();
        return true;
    }
    bool on_string_part(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
    bool on_string(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
    bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_int64(std::int64_t, boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_uint64(std::uint64_t, boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_double(double, boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_bool(bool, boost::system::error_code&) { return true; }
    bool on_null(boost::system::error_code&) { return true; }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return false; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return false; }
};

} // namespace strict_detail

// "" when `text` is one strict JSON document (plus an optional final
// newline), else what is wrong with it.
inline std::string strict_json_error(const std::string& text)
{
    std::string body = text;
    if (!body.empty() && body.back() == '\n')
        body.pop_back();
    boost::json::parse_options opt; // no comments, no trailing commas, UTF-8 checked
    boost::json::basic_parser<strict_detail::handler> p(opt);
    boost::system::error_code ec;
    const std::size_t n = p.write_some(false, body.data(), body.size(), ec);
    if (!p.handler().duplicate.empty())
        return "duplicate key \"" + p.handler().duplicate + "\"";
    if (ec)
        return "invalid JSON at byte " + std::to_string(n) + ": " + ec.message();
    if (n != body.size())
        return "text after the JSON document";
    return "";
}

// Strictly checked, then parsed (throws std::runtime_error with the reason).
inline boost::json::value strict_json(const std::string& text)
{
    if (auto e = strict_json_error(text); !e.empty())
        throw std::runtime_error(e + ": " + text.substr(0, 200));
    return boost::json::parse(text);
}

} // namespace nskit::test
