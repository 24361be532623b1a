#ifndef STROBE_APP_PLAN_COMMAND_H_
#define STROBE_APP_PLAN_COMMAND_H_

namespace strobe {

// `strobe plan [--plan_* flags] [--model=resnet50] [--bucket_cap_mb=25] --output=FILE.png`: projects step time and
// scaling efficiency from 1 to --plan_gpus GPUs with the alpha-beta model of ops/allreduce_cost.h, prints a table,
// and writes FILE.csv and FILE.png. See docs/scaling_plan.md for the presets and their sources.
int RunPlanCommand();

}  // namespace strobe

#endif  // STROBE_APP_PLAN_COMMAND_H_
