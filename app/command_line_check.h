#ifndef STROBE_APP_COMMAND_LINE_CHECK_H_
#define STROBE_APP_COMMAND_LINE_CHECK_H_

#include "absl/status/status.h"

namespace strobe {

// Abseil reports an unknown flag, a value it cannot parse or an unreadable --flagfile itself ("ERROR: ...") and
// exits 1. Strobe checks the command line first, so that these read like every other error ("strobe: error: ...")
// and exit with the usage code. The flags inside a flag file are still checked by Abseil.
absl::Status CheckCommandLine(int argc, char** argv);

}  // namespace strobe

#endif  // STROBE_APP_COMMAND_LINE_CHECK_H_
