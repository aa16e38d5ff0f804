// nscmp's JSON: Boost.JSON conversions of the inspect layer's comparison and
// grouping types (tag_invoke beside the types they convert, found by ADL;
// tools-side, since the library's public headers speak std only).  Every
// string goes through tools::json_text (valid UTF-8, lossless).
#pragma once

#include <nskit/inspect/compare.hpp>
#include <nskit/inspect/group.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

namespace nskit::inspect {

// A row of "comparisons": every compare column, lower case (null where it
// does not apply).
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ns_comparison& c);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const resource_comparison& c);
// {"fd", "kind", "what"}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const fd_description& d);
// {"a-fd", "b-fd", "kind", "what"}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const shared_fd& s);
// {"owner", "epfd", "tfd", "offset", "events", "other"}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const epoll_watch& w);
// {"pid", "reason"}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ungrouped& u);
// {"pid", "fd"}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const fd_ref& f);
// {"resource", "kcmp-calls", "pairwise-fallback", "classes": [[PID...]], "skipped"}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const group_result& g);
// {"resource": "file", "kcmp-calls", "fds", "classes": [{"members", "kind", "what"}], "skipped"}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const file_group_result& g);

} // namespace nskit::inspect
