// Reading the container engines' state on disk (engine_state.cpp), private to
// the inspect layer.
#pragma once

#include <nskit/inspect/container.hpp>

namespace nskit::inspect::detail {

// Fills c.name (and the pod's fields, project) from the engine's state under
// `roots`; sets c.unknown with the reason where that state cannot be read.
void read_engine_state(const engine_roots& roots, container_ref& c);

} // namespace nskit::inspect::detail
