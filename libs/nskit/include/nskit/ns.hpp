// nskit/ns.hpp — namespace handles and the setup / run / spawn / enter API.
// (Boost.Process v2 interop is opt-in: nskit/ns/process_v2.hpp.)
#pragma once
#include <nskit/ns/enter.hpp>
#include <nskit/ns/environment.hpp>
#include <nskit/ns/fs_view.hpp>
#include <nskit/ns/handle.hpp>
#include <nskit/ns/options.hpp>
#include <nskit/ns/process.hpp>
#include <nskit/ns/rlimit.hpp>
#include <nskit/ns/run.hpp>
