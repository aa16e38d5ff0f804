// nskit/sys.hpp — the raw syscall layer, all of it.
#pragma once
#include <nskit/sys/clone.hpp>
#include <nskit/sys/clone_flags.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/in_netns.hpp>
#include <nskit/sys/kcmp.hpp>
#include <nskit/sys/ns_identity.hpp>
#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/pidref.hpp>
#include <nskit/sys/proc_connector.hpp>
#include <nskit/sys/unique_fd.hpp>
