// nskit/inspect.hpp — the inspect layer: processes, namespaces, references.
#pragma once
#include <nskit/inspect/caps.hpp>
#include <nskit/inspect/compare.hpp>
#include <nskit/inspect/container.hpp>
#include <nskit/inspect/group.hpp>
#include <nskit/inspect/namespace.hpp>
#include <nskit/inspect/process.hpp>
#include <nskit/inspect/scan.hpp>
#include <nskit/inspect/watch.hpp>
#include <nskit/inspect/why.hpp>
