#include "coordinator/plateau.h"

#include <gtest/gtest.h>

#include <memory>

#include "coordinator/lr_controller.h"

namespace strobe {
namespace {

PlateauOptions Options(PlateauMetric metric, int64_t patience, int64_t cooldown = 0) {
  PlateauOptions options;
  options.metric = metric;
  options.patience = patience;
  options.factor = 0.5;
  options.cooldown = cooldown;
  options.threshold = 0.01;
  return options;
}

TEST(PlateauTest, ReducesExactlyAtThePatienceThStallAndNotBefore) {
  Plateau plateau(Options(PlateauMetric::kValLoss, 3));
  EXPECT_FALSE(plateau.Observe(1.0));    // first: best
  EXPECT_FALSE(plateau.Observe(1.0));    // stall 1
  EXPECT_FALSE(plateau.Observe(0.995));  // stall 2: better, but by less than the 1% threshold
  EXPECT_EQ(plateau.scale(), 1.0);
  EXPECT_TRUE(plateau.Observe(1.2));  // stall 3 = patience
  EXPECT_EQ(plateau.scale(), 0.5);
  EXPECT_EQ(plateau.state().reductions, 1);
  EXPECT_EQ(plateau.state().bad_observations, 0);
}

TEST(PlateauTest, AnImprovementResetsTheCount) {
  Plateau plateau(Options(PlateauMetric::kValLoss, 2));
  plateau.Observe(1.0);
  plateau.Observe(1.0);                 // stall 1
  EXPECT_FALSE(plateau.Observe(0.9));   // improves: count back to 0
  EXPECT_FALSE(plateau.Observe(0.95));  // stall 1
  EXPECT_TRUE(plateau.Observe(0.95));   // stall 2
}

TEST(PlateauTest, AccuracyImprovesUpwards) {
  Plateau plateau(Options(PlateauMetric::kValAccuracy, 1));
  plateau.Observe(0.5);
  EXPECT_FALSE(plateau.Observe(0.6));
  EXPECT_TRUE(plateau.Observe(0.4));
}

TEST(PlateauTest, CooldownIgnoresObservationsAfterAReduction) {
  Plateau plateau(Options(PlateauMetric::kValLoss, 1, /*cooldown=*/2));
  plateau.Observe(1.0);
  EXPECT_TRUE(plateau.Observe(2.0));
  EXPECT_FALSE(plateau.Observe(2.0));  // cooldown
  EXPECT_FALSE(plateau.Observe(2.0));  // cooldown
  EXPECT_TRUE(plateau.Observe(2.0));
  EXPECT_EQ(plateau.scale(), 0.25);
}

TEST(PlateauTest, NeverBelowTheMinimumScale) {
  PlateauOptions options = Options(PlateauMetric::kValLoss, 1);
  options.min_scale = 0.3;
  Plateau plateau(options);
  plateau.Observe(1.0);
  EXPECT_TRUE(plateau.Observe(1.0));   // 0.5
  EXPECT_TRUE(plateau.Observe(1.0));   // 0.3, clamped
  EXPECT_FALSE(plateau.Observe(1.0));  // already at the floor
  EXPECT_EQ(plateau.scale(), 0.3);
}

TEST(PlateauTest, RestoredStateContinuesTheSameDecisions) {
  const double metrics[] = {1.0, 0.9, 0.95, 0.97, 0.91, 0.92, 0.93, 0.5, 0.6, 0.7, 0.8};
  Plateau straight(Options(PlateauMetric::kValLoss, 2, 1));
  Plateau first_half(Options(PlateauMetric::kValLoss, 2, 1));
  for (int i = 0; i < 5; ++i) {
    straight.Observe(metrics[i]);
    first_half.Observe(metrics[i]);
  }
  Plateau resumed(Options(PlateauMetric::kValLoss, 2, 1));
  resumed.Restore(first_half.state());
  for (int i = 5; i < 11; ++i) EXPECT_EQ(straight.Observe(metrics[i]), resumed.Observe(metrics[i])) << i;
  EXPECT_EQ(straight.scale(), resumed.scale());
  EXPECT_EQ(straight.state().reductions, 3);  // at the 4th, 7th and 10th observation
}

TEST(PlateauTest, RejectsBadOptionsByFlagName) {
  PlateauOptions options = Options(PlateauMetric::kValLoss, 0);
  EXPECT_EQ(ValidatePlateauOptions(options).message(), "--plateau_patience must be >= 1, got 0");
  options = Options(PlateauMetric::kValLoss, 1);
  options.factor = 1.5;
  EXPECT_EQ(ValidatePlateauOptions(options).message(), "--plateau_factor=1.5 must lie in (0, 1)");
  EXPECT_EQ(ParsePlateauMetric("loss").status().message(),
            "--plateau_metric=loss is not one of val_loss, val_accuracy, train_loss");
}

class ConstantSchedule : public LrSchedule {
 public:
  double LrAt(int64_t step) const override { return step < 10 ? 0.4 : 0.2; }
};

TEST(LrControllerTest, ScheduleTimesPlateauScaleThenOverride) {
  LrController controller(std::make_unique<ConstantSchedule>(), Options(PlateauMetric::kTrainLoss, 1));
  EXPECT_EQ(controller.LrAt(0), 0.4);
  EXPECT_FALSE(controller.Observe(PlateauMetric::kValLoss, 5.0));  // not the watched metric: ignored
  controller.Observe(PlateauMetric::kTrainLoss, 1.0);
  EXPECT_TRUE(controller.Observe(PlateauMetric::kTrainLoss, 1.0));
  EXPECT_EQ(controller.LrAt(0), 0.2);
  EXPECT_EQ(controller.LrAt(20), 0.1);
  controller.SetOverride(LrOverride{LrOverride::Kind::kScale, 0.5});
  EXPECT_EQ(controller.LrAt(20), 0.05);
  controller.SetOverride(LrOverride{LrOverride::Kind::kAbsolute, 0.003});
  EXPECT_EQ(controller.LrAt(20), 0.003);

  LrController resumed(std::make_unique<ConstantSchedule>(), Options(PlateauMetric::kTrainLoss, 1));
  resumed.Restore(controller.state());
  EXPECT_EQ(resumed.LrAt(20), 0.003);
  resumed.SetOverride(LrOverride{});
  EXPECT_EQ(resumed.LrAt(20), 0.1);  // the plateau's reduction survived the restore
}

TEST(LrControllerTest, SavedStateEntriesRestoreEveryPartExactly) {
  LrController controller(std::make_unique<ConstantSchedule>(), Options(PlateauMetric::kTrainLoss, 1),
                          AdaScale(4, 0.9));
  controller.Observe(PlateauMetric::kTrainLoss, 1.0 / 3);
  controller.Observe(PlateauMetric::kTrainLoss, 1.0 / 3);  // a reduction
  controller.ObserveGradients(GradientStatistics{3.0, 1.0 / 7});
  controller.ObserveGradients(GradientStatistics{2.5, 0.2});
  controller.SetOverride(LrOverride{LrOverride::Kind::kScale, 0.7});
  const ControllerState saved = controller.SaveState();
  // As a checkpoint holds it: names and text only.
  const ControllerState reread(saved.entries());

  LrController resumed(std::make_unique<ConstantSchedule>(), Options(PlateauMetric::kTrainLoss, 1), AdaScale(4, 0.9));
  ASSERT_TRUE(resumed.RestoreState(reread).ok());
  EXPECT_EQ(resumed.SaveState().entries(), saved.entries());
  for (int64_t step : {0, 3, 20}) EXPECT_EQ(resumed.LrAt(step), controller.LrAt(step)) << step;

  // A state missing an entry, or with an unknown override kind, is refused and changes nothing.
  ControllerState::Entries damaged = saved.entries();
  damaged.pop_back();
  LrController untouched(std::make_unique<ConstantSchedule>(), Options(PlateauMetric::kTrainLoss, 1));
  EXPECT_EQ(untouched.RestoreState(ControllerState(damaged)).message(), "the LR-controller state is incomplete");
  EXPECT_EQ(untouched.LrAt(0), 0.4);
  damaged = saved.entries();
  for (auto& [key, value] : damaged) {
    if (key == "override_kind") value = "7";
  }
  EXPECT_FALSE(untouched.RestoreState(ControllerState(damaged)).ok());
  EXPECT_EQ(untouched.state().override.kind, LrOverride::Kind::kNone);
}

}  // namespace
}  // namespace strobe
