#ifndef STROBE_APP_LR_COMMANDS_H_
#define STROBE_APP_LR_COMMANDS_H_

#include "ops/distributed_context.h"

namespace strobe {

// `strobe lr-find [train flags] [--lr_find_*]`, collective: the LR range test across all ranks. Rank 0 writes
// RUN_DIR/lr_find.csv and lr_find.png (loss against LR, the suggestion marked) and prints the suggested peak LR and
// the --lr that gives it. Never overwrites an earlier lr_find.csv.
int RunLrFindCommand(const DistributedContext& context);

// `strobe lr-plot --output=FILE.png [train flags]`: the LR (and one-cycle's momentum) of every step of the
// configured schedule, as FILE.csv and FILE.png, before anything is launched. Dynamic parts (plateau, AdaScale,
// overrides) depend on the run and are not drawn.
int RunLrPlotCommand();

}  // namespace strobe

#endif  // STROBE_APP_LR_COMMANDS_H_
