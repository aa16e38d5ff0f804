// tools/nsrun/view_args.hpp — nsrun's filesystem view, environment and
// resource limit options (bubblewrap's names and argument shapes), read in
// command-line order into ns::options::view, env and rlimits.
#pragma once

#include "cli.hpp"

#include <nskit/ns/options.hpp>

#include <boost/program_options.hpp>

#include <vector>

namespace nskit::tools::nsrun {

// The options, for nsrun's description (--help) and its parser.
void add_view_options(boost::program_options::options_description& desc);
// Those that take more than one word ("--bind SRC DEST"), for normalize_args.
const std::vector<option_words>& view_option_words();

// The view, environment and limit options of `parsed`, in the order given,
// into o.  Refused input (an --size not before a --tmpfs, a bad octal
// mode, a bad limit or name) throws usage_error naming the option.
void view_options_from(const std::vector<boost::program_options::option>& parsed, ns::options& o);

// Whether any option of this file was given (they need a new mount
// namespace: not with --enter), and the first one's name.
const char* first_view_option(const std::vector<boost::program_options::option>& parsed);

} // namespace nskit::tools::nsrun
